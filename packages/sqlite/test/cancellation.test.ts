import { CancelledError, TimeoutError } from "@zsync/runtime";
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
    const started = performance.now();
    await expect(db.queryWithTimeout(SLOW, [], 50)).rejects.toBeInstanceOf(TimeoutError);
    expect(performance.now() - started).toBeLessThan(1500);
    expect(await db.get("SELECT 1 AS one")).toEqual({ one: 1 });
    expect(db.stats().connectionsReplaced).toBeGreaterThanOrEqual(1);
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
