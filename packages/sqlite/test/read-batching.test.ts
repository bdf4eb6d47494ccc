/**
 * Readers run the reads of one message inside one shared read transaction
 * (worker/connection-worker.ts, `readBegin`): these tests pin down that the
 * sharing is invisible to callers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncDatabase } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
let db: AsyncDatabase;
const RUNAWAY_READ = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) AS n FROM c WHERE x < 1e12";

beforeAll(async () => {
  db = await AsyncDatabase.open(tempDbPath(dir), { maxReaders: 1 });
  await db.exec("CREATE TABLE kv (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)");
  await db.batchInsert(
    "kv",
    Array.from({ length: 64 }, (_, k) => ({ k, v: 0 })),
  );
});
afterAll(() => db.close());

/** 64 point reads issued in one turn, so they reach the reader as a couple of messages. */
function readAll(): Promise<number[]> {
  return Promise.all(Array.from({ length: 64 }, (_, k) => db.get<{ v: number }>("SELECT v FROM kv WHERE k = ?", [k]))).then((rows) =>
    rows.map((row) => row?.v ?? -1),
  );
}

describe("reads batched in one read transaction", () => {
  it("see every write acknowledged before they were called, batch after batch (no snapshot outlives its batch)", async () => {
    for (let round = 1; round <= 5; round++) {
      expect(new Set(await readAll())).toEqual(new Set([round - 1]));
      await db.run("UPDATE kv SET v = ?", [round]);
    }
    expect(new Set(await readAll())).toEqual(new Set([5]));
  });

  it("leave no read transaction open after the batch: a TRUNCATE checkpoint is not blocked by the reader", async () => {
    await db.run("UPDATE kv SET v = v + 1");
    await readAll();
    const result = await db.get<{ busy: number; log: number }>("PRAGMA wal_checkpoint(TRUNCATE)");
    expect(result).toEqual(expect.objectContaining({ busy: 0, log: 0 }));
  });

  it("a read stopped mid-batch fails alone: the reads batched with it resolve", async () => {
    const before = readAll();
    const runaway = db.queryWithTimeout(RUNAWAY_READ, [], 200).then(
      () => "resolved",
      (error: Error) => error.name,
    );
    const after = readAll();
    expect(await runaway).toBe("TimeoutError");
    const expected = (await before)[0];
    expect(new Set(await before)).toEqual(new Set([expected]));
    expect(new Set(await after)).toEqual(new Set([expected]));
  });
});
