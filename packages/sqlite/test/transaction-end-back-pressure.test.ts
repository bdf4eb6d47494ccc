// COMMIT and ROLLBACK are never refused by the back-pressure bound
// (`maxPending`). Refusing one left the writer inside a transaction that its
// handle reported as ended: the next transaction failed to BEGIN, and plain
// writes that resolved ran inside the abandoned transaction and were never
// committed. Found while triaging the mutation run on src/transaction.ts
// (issue 14).
import { afterEach, describe, expect, it } from "vitest";
import { AsyncDatabase } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
let db: AsyncDatabase | undefined;

afterEach(async () => {
  await db?.close({ signal: AbortSignal.timeout(5000) });
  db = undefined;
});

/** A database where two calls in flight reach the bound, with one row committed. */
async function open(): Promise<AsyncDatabase> {
  db = await AsyncDatabase.open(tempDbPath(dir), { maxPending: 2 });
  await db.exec("CREATE TABLE t (v INTEGER)");
  return db;
}

describe("ending a transaction while maxPending calls are outstanding", () => {
  it("rollback() still rolls back, and later writes are committed", async () => {
    const db = await open();
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (1)");
    const reads = [db.get("SELECT 1"), db.get("SELECT 2")];
    await tx.rollback();
    expect(tx.state).toBe("rolled back");
    await Promise.all(reads);
    await db.run("INSERT INTO t (v) VALUES (2)");
    await db.transaction((t) => t.run("INSERT INTO t (v) VALUES (3)"));
    expect(await db.all("SELECT v FROM t ORDER BY v")).toEqual([{ v: 2 }, { v: 3 }]);
  });

  it("commit() still commits", async () => {
    const db = await open();
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (1)");
    const reads = [db.get("SELECT 1"), db.get("SELECT 2")];
    await tx.commit();
    expect(tx.state).toBe("committed");
    await Promise.all(reads);
    expect(await db.all("SELECT v FROM t")).toEqual([{ v: 1 }]);
    await db.transaction((t) => t.run("INSERT INTO t (v) VALUES (2)"));
    expect(await db.all("SELECT v FROM t ORDER BY v")).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it("other calls beyond the bound are still refused", async () => {
    const db = await open();
    const tx = await db.beginTransaction();
    const reads = [db.get("SELECT 1"), db.get("SELECT 2")];
    await expect(tx.run("INSERT INTO t (v) VALUES (1)")).rejects.toMatchObject({ name: "QueueFullError" });
    await expect(db.get("SELECT 3")).rejects.toMatchObject({ name: "QueueFullError" });
    await Promise.all(reads);
    await tx.commit();
    expect(await db.all("SELECT v FROM t")).toEqual([]);
  });
});
