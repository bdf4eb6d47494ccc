import { CancelledError, spawn, TimeoutError } from "@zsync/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncDatabase, TransactionStateError } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
let db: AsyncDatabase;
// Takes seconds on any machine: a recursive CTE with no index to help it.
const SLOW = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000) SELECT sum(x) AS s FROM c";
const SLOW_WRITE =
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5000000) INSERT INTO log (n) SELECT x FROM c WHERE x % 1000000 = 0";

beforeAll(async () => {
  db = await AsyncDatabase.open(tempDbPath(dir));
  await db.exec("CREATE TABLE log (n INTEGER)");
});
afterAll(() => db.close({ signal: AbortSignal.timeout(2000) }));

describe("timeouts and cancellation", () => {
  it("queryWithTimeout rejects with TimeoutError and the database stays usable", async () => {
    const replaced = db.stats().connectionsReplaced;
    const started = performance.now();
    await expect(db.queryWithTimeout(SLOW, [], 50)).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(await db.get("SELECT 1 AS one")).toEqual({ one: 1 });
    expect(db.stats().connectionsReplaced).toBe(replaced); // stopped in place, not by replacing the worker
  });

  it("a timed-out write commits nothing, inside or outside a transaction", async () => {
    await expect(db.run(SLOW_WRITE, [], { timeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
    await db.run("INSERT INTO log VALUES (-1)");
    expect(await db.all("SELECT n FROM log")).toEqual([{ n: -1 }]);

    const tx = await db.beginTransaction();
    await tx.run("INSERT INTO log VALUES (-2)");
    await expect(tx.queryWithTimeout(SLOW_WRITE, [], 50)).rejects.toBeInstanceOf(TimeoutError);
    await expect(tx.run("INSERT INTO log VALUES (-3)")).rejects.toBeInstanceOf(TransactionStateError);
    await expect(tx.commit()).rejects.toBeInstanceOf(TransactionStateError);
    expect(await db.all("SELECT n FROM log")).toEqual([{ n: -1 }]);
    await db.run("INSERT INTO log VALUES (-4)");
    expect(await db.all("SELECT n FROM log ORDER BY rowid")).toEqual([{ n: -1 }, { n: -4 }]);
  });

  it("aborting a running query stops it; other reads in flight on that connection still complete", async () => {
    const controller = new AbortController();
    const slow = db.get(SLOW, [], { signal: controller.signal });
    const others = Array.from({ length: 10 }, (_, i) => db.get("SELECT ? AS i", [i]));
    setTimeout(() => controller.abort("enough"), 30);
    await expect(slow).rejects.toMatchObject({ name: "CancelledError", reason: "enough" });
    expect(await Promise.all(others)).toEqual(Array.from({ length: 10 }, (_, i) => ({ i })));
  });

  it("an already-aborted signal rejects at once; aborting a queued write removes it", async () => {
    await expect(db.get("SELECT 1", [], { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    const tx = await db.beginTransaction();
    const controller = new AbortController();
    const queued = db.run("INSERT INTO log VALUES (99)", [], { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toBeInstanceOf(CancelledError);
    await tx.commit();
    expect(await db.get("SELECT count(*) AS n FROM log WHERE n = 99")).toEqual({ n: 0 });
  });
});

describe("cancelling the calling task", () => {
  const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it("stops a running query, as an aborted signal does, and the database stays usable", async () => {
    const replaced = db.stats().connectionsReplaced;
    let call: Promise<unknown> | undefined;
    // The call starts before the body's first await, so the ambient task is known on every host.
    const task = spawn(() => {
      call = db.get(SLOW);
      return call;
    });
    await tick(30);
    expect(call).toBeDefined();
    const started = performance.now();
    task.cancel("shutting down");
    await expect(call).rejects.toMatchObject({ name: "CancelledError", reason: "shutting down" });
    await expect(task).rejects.toBeInstanceOf(CancelledError);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(db.stats().connectionsReplaced).toBe(replaced);
    expect(await db.get("SELECT 2 AS two")).toEqual({ two: 2 });
  });

  it("removes a queued write, which never runs", async () => {
    const tx = await db.beginTransaction();
    let call: Promise<unknown> | undefined;
    const task = spawn(() => {
      call = db.run("INSERT INTO log VALUES (77)");
      return call;
    });
    await tick(10);
    expect(db.stats().queuedWrites).toBe(1);
    task.cancel();
    await expect(call).rejects.toBeInstanceOf(CancelledError);
    expect(db.stats().queuedWrites).toBe(0);
    await tx.commit();
    expect(await db.get("SELECT count(*) AS n FROM log WHERE n = 77")).toEqual({ n: 0 });
  });

  it("rolls back a transaction whose statement was running, and stops a queued transaction from starting", async () => {
    let inside: Promise<unknown> | undefined;
    const task = spawn(() => {
      inside = db.transaction(async (tx) => {
        await tx.run("INSERT INTO log VALUES (88)");
        await tx.all("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 50000000) SELECT x FROM c");
      });
      return inside;
    });
    await tick(50);
    task.cancel();
    await expect(inside).rejects.toBeInstanceOf(CancelledError);

    const holder = await db.beginTransaction();
    let waiting: Promise<unknown> | undefined;
    const second = spawn(() => {
      waiting = db.transaction((tx) => tx.run("INSERT INTO log VALUES (89)"));
      return waiting;
    });
    await tick(10);
    second.cancel();
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    await holder.commit();
    expect(await db.get("SELECT count(*) AS n FROM log WHERE n IN (88, 89)")).toEqual({ n: 0 });
    await db.run("INSERT INTO log VALUES (90)");
    expect(await db.get("SELECT count(*) AS n FROM log WHERE n = 90")).toEqual({ n: 1 });
  });

  it("scripts and statements that manage their own transaction run normally in a task or with a signal", async () => {
    const task = spawn(async () => {
      await db.exec("BEGIN; INSERT INTO log VALUES (91); COMMIT;");
      await db.run("VACUUM");
      return db.runMaintenance({ signal: new AbortController().signal });
    });
    const report = await task;
    expect(report.steps.map((s) => s.name)).toContain("vacuum");
    expect(await db.get("SELECT count(*) AS n FROM log WHERE n = 91")).toEqual({ n: 1 });
  });

  it("a call made from an already-cancelled task rejects at once without reaching a worker", async () => {
    let call: Promise<unknown> | undefined;
    const task = spawn(() => {
      task.cancel("gone");
      call = db.get("SELECT 1 AS one");
      return call;
    });
    await expect(task).rejects.toBeInstanceOf(CancelledError);
    await expect(call).rejects.toMatchObject({ name: "CancelledError", reason: "gone" });
    expect(db.stats().pending).toBe(0);
  });
});
