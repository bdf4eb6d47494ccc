// The request log (src/service/request-log.ts): batches reach SQLite, flush
// waits for them, and a writer that fails closes the channel so that
// requests are never left waiting on a log nobody drains.
import { AsyncDatabase } from "@zsync/sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { RequestLog } from "../src/service/request-log.js";

const opened: AsyncDatabase[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

async function memoryDatabase(): Promise<AsyncDatabase> {
  const db = await AsyncDatabase.open(":memory:");
  opened.push(db);
  return db;
}

describe("RequestLog", () => {
  it("writes every record, in batches, and flush waits until they are in the table", async () => {
    const db = await memoryDatabase();
    const log = await RequestLog.open(db);
    await Promise.all(
      Array.from({ length: 600 }, (_, i) => log.record({ method: "GET", path: `/r/${i}`, status: i % 2 ? 200 : 404, ms: 1 })),
    );
    const summary = await log.summary();
    expect(summary.total).toBe(600);
    expect(summary.byStatus).toEqual({ 200: 300, 404: 300 });
    // Batches of at most 128: at least five transactions for 600 records, fewer than one per record.
    expect(summary.batches).toBeGreaterThanOrEqual(5);
    expect(summary.batches).toBeLessThan(600);
    await log.close();
  });

  it("a writer that fails rejects flush and every later record instead of leaving senders waiting on a full channel", async () => {
    const db = await memoryDatabase();
    const log = await RequestLog.open(db);
    await db.exec("DROP TABLE requests");
    // More records than the channel holds: without the close on failure the ones past its capacity wait forever.
    const records = await Promise.allSettled(
      Array.from({ length: 600 }, () => log.record({ method: "GET", path: "/", status: 200, ms: 1 })),
    );
    expect(records.filter((r) => r.status === "rejected").length).toBeGreaterThan(0);
    await expect(log.flush()).rejects.toThrow(/requests/);
    await expect(log.record({ method: "GET", path: "/", status: 200, ms: 1 })).rejects.toThrow();
    await expect(log.close()).rejects.toThrow(/requests/);
  });
});
