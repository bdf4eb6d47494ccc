// What a Transaction handle reports after one of its statements was stopped,
// after its writer was lost (before or during COMMIT), and when SQLite has
// already ended the transaction by itself: the errors' classes, messages and
// causes, and that the writer is free afterwards. Prompted by the survivors
// of the mutation run on src/transaction.ts (issue 14); every abort below is
// placed at a point the test controls, never after a delay.
import { CancelledError, spawn, type TaskHandle } from "@zsync/runtime";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { AsyncDatabase, ConnectionLostError, Transaction, TransactionStateError } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
let db: AsyncDatabase;
/** Never ends by itself: only a stop can end it. */
const RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
const LOST_MESSAGE = "the transaction was rolled back because its connection was stopped or lost";

beforeAll(async () => {
  db = await AsyncDatabase.open(tempDbPath(dir), { integers: "bigint" });
  await db.exec("CREATE TABLE t (v INTEGER)");
});
afterAll(() => db.close({ signal: AbortSignal.timeout(5000) }));
beforeEach(async () => {
  await db.run("DELETE FROM t");
});

/** Lets the connection post what it queued and answers arrive. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Stops a never-ending statement of `tx` once it has been posted to the worker; resolves with the stop's error. */
async function stopOneStatement(tx: Transaction): Promise<CancelledError> {
  const controller = new AbortController();
  const running = tx.get(RUNAWAY, [], { signal: controller.signal });
  await turn();
  controller.abort("stop it");
  const error = await running.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CancelledError);
  return error as CancelledError;
}

/** Waits (turn by turn, no timer) until the writer has been replaced `count` times in all. */
async function writerReplaced(count: number): Promise<void> {
  while (db.stats().connectionsReplaced < count) await turn();
}

/** The writer is free and outside any transaction (a new transaction commits), and `t` holds `committed` then 100. */
async function expectWriterFree(committed: bigint[] = []): Promise<void> {
  await db.transaction((t) => t.run("INSERT INTO t (v) VALUES (100)"));
  expect(await db.all("SELECT v FROM t ORDER BY rowid")).toEqual([...committed, 100n].map((v) => ({ v })));
}

describe("a transaction one of whose statements was stopped", () => {
  it("refuses later statements, naming the stop as the cause; rollback() then completes", async () => {
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (1)");
    const stop = await stopOneStatement(tx);
    const refused = await tx.run("INSERT INTO t (v) VALUES (2)").catch((e: unknown) => e);
    expect(refused).toEqual(new TransactionStateError(LOST_MESSAGE));
    expect((refused as Error).cause).toBe(stop);
    // SQLite already rolled back: ROLLBACK answers "no transaction is active", which is success here.
    await expect(tx.rollback()).resolves.toBeUndefined();
    expect(tx.state).toBe("rolled back");
    await expectWriterFree();
  });

  it("commit() rejects, naming the stop as the cause, and rolls back", async () => {
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (1)");
    const stop = await stopOneStatement(tx);
    const refused = await tx.commit().catch((e: unknown) => e);
    expect(refused).toEqual(
      new TransactionStateError("cannot commit: the transaction was rolled back because one of its statements was stopped"),
    );
    expect((refused as Error).cause).toBe(stop);
    expect(tx.state).toBe("rolled back");
    await expectWriterFree();
  });
});

describe("a transaction whose writer was lost", () => {
  it("before commit(): commit rejects with the loss as the cause; statements are refused", async () => {
    const replaced = db.stats().connectionsReplaced;
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (1)");
    db.crashConnectionForTesting("writer");
    await writerReplaced(replaced + 1);
    const statement = await tx.run("INSERT INTO t (v) VALUES (2)").catch((e: unknown) => e);
    expect(statement).toEqual(new TransactionStateError(LOST_MESSAGE));
    const refused = await tx.commit().catch((e: unknown) => e);
    expect(refused).toEqual(new TransactionStateError(LOST_MESSAGE));
    expect((refused as Error).cause).toEqual(new Error("worker exited with code 70"));
    expect((statement as Error).cause).toBe((refused as Error).cause);
    expect(tx.state).toBe("rolled back");
    await expectWriterFree();
  });

  it("before rollback(): rollback completes without a statement to send", async () => {
    const replaced = db.stats().connectionsReplaced;
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (1)");
    db.crashConnectionForTesting("writer");
    await writerReplaced(replaced + 1);
    await expect(tx.rollback()).resolves.toBeUndefined();
    expect(tx.state).toBe("rolled back");
    await expectWriterFree();
  });

  it("while COMMIT is in flight: commit rejects as lost, with the ConnectionLostError as the cause", async () => {
    const replaced = db.stats().connectionsReplaced;
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (1)");
    // Both go in the same message: the worker exits before it reaches COMMIT.
    db.crashConnectionForTesting("writer");
    const refused = await tx.commit().catch((e: unknown) => e);
    expect(refused).toEqual(new TransactionStateError("the transaction was rolled back because its connection was lost"));
    expect((refused as Error).cause).toBeInstanceOf(ConnectionLostError);
    expect(tx.state).toBe("rolled back");
    await writerReplaced(replaced + 1);
    await expectWriterFree();
  });
});

describe("a transaction ended behind the handle's back", () => {
  it("commit() after a ROLLBACK run as a statement rejects with SQLite's error, and the handle is rolled back", async () => {
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (1)");
    await tx.run("ROLLBACK");
    await expect(tx.commit()).rejects.toMatchObject({ name: "SqliteError", message: expect.stringMatching(/no transaction is active/) });
    expect(tx.state).toBe("rolled back");
    await expectWriterFree();
  });
});

describe("racing endings", () => {
  it("rollback() while COMMIT is in flight: the commit stands, and rollback() completes", async () => {
    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO t (v) VALUES (1)");
    const committing = tx.commit();
    const rollingBack = tx.rollback();
    await committing;
    await expect(rollingBack).resolves.toBeUndefined();
    expect(tx.state).toBe("committed");
    await expectWriterFree([1n]);
  });
});

describe("cancellation at the edges of a transaction", () => {
  it("a signal aborted after the writer was granted, before BEGIN was sent, rejects beginTransaction", async () => {
    const controller = new AbortController();
    // The writer is idle, so it is granted synchronously; BEGIN is sent a microtask later.
    const beginning = db.beginTransaction({ signal: controller.signal });
    controller.abort("changed my mind");
    await expect(beginning).rejects.toMatchObject({ name: "CancelledError", reason: "changed my mind" });
    await expectWriterFree();
  });

  it("batchInsert aborted while its chunk is in flight stops the chunk and commits nothing", async () => {
    const controller = new AbortController();
    const insertMany = Transaction.prototype.insertMany;
    // Abort once the chunk has been handed to the writer (the connection posts it in a microtask queued before this one).
    const spy = vi.spyOn(Transaction.prototype, "insertMany").mockImplementation(function (this: Transaction, ...args) {
      const request = insertMany.apply(this, args);
      queueMicrotask(() => controller.abort("enough"));
      return request;
    });
    try {
      const inserting = db.batchInsert("t", [{ v: 1 }, { v: 2 }], { signal: controller.signal });
      await expect(inserting).rejects.toMatchObject({ name: "CancelledError", reason: "enough" });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    await expectWriterFree();
  });

  it("statements in a transaction decode integers as the database was opened to", async () => {
    await db.transaction(async (tx) => {
      await tx.run("INSERT INTO t (v) VALUES (7)");
      expect(await tx.get("SELECT v FROM t")).toEqual({ v: 7n });
    });
  });
});

describe("ending a transaction from a cancelled task", () => {
  /**
   * Runs `end` on a transaction with one insert, in a task that cancels
   * itself just before; resolves with what `end` settled with ("done" or
   * its error). A cancelled task settles at once, so the outcome is passed
   * back on its own.
   */
  async function endInCancelledTask(end: (tx: Transaction) => Promise<void>): Promise<unknown> {
    let resolve!: (outcome: unknown) => void;
    const ended = new Promise<unknown>((r) => {
      resolve = r;
    });
    const task: TaskHandle<void> = spawn(async () => {
      const tx = await db.beginTransaction();
      await tx.run("INSERT INTO t (v) VALUES (1)");
      task.cancel("shutting down");
      resolve(
        await end(tx).then(
          () => "done",
          (e: unknown) => e,
        ),
      );
    });
    await task.catch(() => {});
    return ended;
  }

  it("rollback() still sends ROLLBACK: the writer is left outside any transaction", async () => {
    expect(await endInCancelledTask((tx) => tx.rollback())).toBe("done");
    await expectWriterFree();
  });

  it("commit() still sends COMMIT", async () => {
    expect(await endInCancelledTask((tx) => tx.commit())).toBe("done");
    await expectWriterFree([1n]);
  });
});
