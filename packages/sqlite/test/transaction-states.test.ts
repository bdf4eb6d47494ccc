// Pins the Transaction handle's state machine (open → committing/rolling back
// → committed/rolled back): which calls are refused in which state, with which
// message, and that the writer is released exactly once. Prompted by the
// survivors of the mutation run on src/transaction.ts (issue 14).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncDatabase, TransactionStateError } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
let db: AsyncDatabase;

beforeAll(async () => {
  db = await AsyncDatabase.open(tempDbPath(dir));
  await db.exec("CREATE TABLE t (v INTEGER NOT NULL)");
});
afterAll(() => db.close());

const count = async () => (await db.get<{ n: number }>("SELECT count(*) AS n FROM t"))?.n;

describe("transaction states", () => {
  it("a new transaction is open; commit makes it committed and keeps its writes", async () => {
    const tx = await db.beginTransaction();
    expect(tx.state).toBe("open");
    await tx.run("INSERT INTO t (v) VALUES (1)");
    await tx.commit();
    expect(tx.state).toBe("committed");
    expect(await count()).toBe(1);
  });

  it("after a commit: rollback, commit and statements are refused with the state in the message", async () => {
    const tx = await db.beginTransaction();
    await tx.commit();
    await expect(tx.rollback()).rejects.toThrow(new TransactionStateError("cannot roll back: the transaction was committed"));
    await expect(tx.commit()).rejects.toThrow(new TransactionStateError("cannot commit: the transaction was committed"));
    await expect(tx.run("SELECT 1")).rejects.toThrow(
      new TransactionStateError("the transaction is committed; statements can no longer run in it"),
    );
    expect(tx.state).toBe("committed");
    // Disposing a committed transaction does nothing (no ROLLBACK, no error).
    await tx[Symbol.asyncDispose]();
    expect(tx.state).toBe("committed");
  });

  it("after a rollback: a second rollback does nothing; commit and statements are refused", async () => {
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (2)");
    await tx.rollback();
    await tx.rollback();
    expect(tx.state).toBe("rolled back");
    await expect(tx.commit()).rejects.toThrow(new TransactionStateError("cannot commit: the transaction was rolled back"));
    await expect(tx.run("SELECT 1")).rejects.toThrow(
      new TransactionStateError("the transaction is rolled back; statements can no longer run in it"),
    );
    await tx[Symbol.asyncDispose]();
    // The writer was released once: a new transaction and a plain write both run.
    await db.transaction((t) => t.run("INSERT INTO t (v) VALUES (3)"));
    await db.run("INSERT INTO t (v) VALUES (4)");
    expect(await db.all("SELECT v FROM t WHERE v > 1 ORDER BY v")).toEqual([{ v: 3 }, { v: 4 }]);
  });

  it("while COMMIT is in flight: a second commit and new statements are refused as ending", async () => {
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (5)");
    const committing = tx.commit();
    await expect(tx.commit()).rejects.toThrow(new TransactionStateError("cannot commit: the transaction is already ending"));
    await expect(tx.run("SELECT 1")).rejects.toThrow(
      new TransactionStateError("the transaction is ending; statements can no longer run in it"),
    );
    await committing;
    expect(tx.state).toBe("committed");
    expect(await db.get("SELECT count(*) AS n FROM t WHERE v = 5")).toEqual({ n: 1 });
  });

  it("while ROLLBACK is in flight: commit is refused as ending and the rollback completes", async () => {
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (6)");
    const rollingBack = tx.rollback();
    await expect(tx.commit()).rejects.toThrow(new TransactionStateError("cannot commit: the transaction is already ending"));
    await rollingBack;
    expect(tx.state).toBe("rolled back");
    expect(await db.get("SELECT count(*) AS n FROM t WHERE v = 6")).toEqual({ n: 0 });
  });

  it("each BEGIN behavior is sent as written and opens a transaction", async () => {
    for (const behavior of ["deferred", "immediate", "exclusive"] as const) {
      const tx = await db.beginTransaction({ behavior });
      await tx.run("INSERT INTO t (v) VALUES (7)");
      await tx.rollback();
    }
    expect(await db.get("SELECT count(*) AS n FROM t WHERE v = 7")).toEqual({ n: 0 });
  });
});
