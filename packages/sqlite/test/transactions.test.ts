import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncDatabase, SqliteConstraintError, TransactionStateError } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
let db: AsyncDatabase;

beforeAll(async () => {
  db = await AsyncDatabase.open(tempDbPath(dir));
  await db.exec("CREATE TABLE acct (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0))");
  await db.exec(
    "CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)",
  );
  await db.batchInsert("acct", [
    { id: 1, balance: 100 },
    { id: 2, balance: 0 },
  ]);
});
afterAll(() => db.close());

const total = async () => (await db.get<{ s: number }>("SELECT sum(balance) AS s FROM acct"))?.s;

/**
 * The total as the writer connection sees it, in a new transaction there.
 * Readers only ever see committed state, so they cannot tell a rolled-back
 * transaction from one left open on the writer; this can: a transaction left
 * open makes the BEGIN fail, and uncommitted changes would show in the sum.
 */
const writerTotal = async () => db.transaction(async (tx) => (await tx.get<{ s: number }>("SELECT sum(balance) AS s FROM acct"))?.s);

describe("transactions", () => {
  it("the callback form commits when it returns", async () => {
    const result = await db.transaction(async (tx) => {
      await tx.run("UPDATE acct SET balance = balance - 10 WHERE id = 1");
      await tx.run("UPDATE acct SET balance = balance + 10 WHERE id = 2");
      return "moved";
    });
    expect(result).toBe("moved");
    expect(await db.all("SELECT balance FROM acct ORDER BY id")).toEqual([{ balance: 90 }, { balance: 10 }]);
  });

  it("the callback form rolls back and rethrows when it throws", async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.run("UPDATE acct SET balance = balance + 1000 WHERE id = 2");
        await tx.run("UPDATE acct SET balance = balance - 1000 WHERE id = 1"); // CHECK fails
      }),
    ).rejects.toThrow(/CHECK constraint failed/);
    expect(await total()).toBe(100);
    expect(await writerTotal()).toBe(100);
  });

  it("readers outside the transaction see the state before it until it commits", async () => {
    const tx = await db.beginTransaction();
    await tx.run("UPDATE acct SET balance = 0 WHERE id = 1");
    expect(await tx.get("SELECT balance FROM acct WHERE id = 1")).toEqual({ balance: 0 });
    expect(await db.get("SELECT balance FROM acct WHERE id = 1")).toEqual({ balance: 90 });
    await tx.rollback();
    expect(tx.state).toBe("rolled back");
    expect(await writerTotal()).toBe(100);
    await expect(tx.run("SELECT 1")).rejects.toBeInstanceOf(TransactionStateError);
    await expect(tx.commit()).rejects.toBeInstanceOf(TransactionStateError);
  });

  it("await using rolls back a transaction that was not committed", async () => {
    {
      await using tx = await db.beginTransaction();
      await tx.run("DELETE FROM acct");
    }
    expect(await total()).toBe(100);
    expect(await writerTotal()).toBe(100);
  });

  it("a COMMIT that fails (deferred foreign key) rolls the transaction back", async () => {
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO child (id, parent) VALUES (1, 42)"); // no parent 42: checked at COMMIT
    await expect(tx.commit()).rejects.toBeInstanceOf(SqliteConstraintError);
    expect(tx.state).toBe("rolled back");
    // On the writer: no transaction left open (BEGIN works) and the row is gone.
    expect(await db.transaction((t) => t.get("SELECT count(*) AS n FROM child"))).toEqual({ n: 0 });
    await db.run("INSERT INTO parent (id) VALUES (42)");
    expect(await db.get("SELECT count(*) AS n FROM child")).toEqual({ n: 0 });
  });

  it("writes outside a transaction wait for it and then run", async () => {
    const tx = await db.beginTransaction();
    await tx.run("UPDATE acct SET balance = balance - 5 WHERE id = 1");
    let outsideDone = false;
    const outside = db.run("UPDATE acct SET balance = balance + 5 WHERE id = 1").then(() => {
      outsideDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(outsideDone).toBe(false);
    await tx.commit();
    await outside;
    expect(await db.get("SELECT balance FROM acct WHERE id = 1")).toEqual({ balance: 90 });
  });
});
