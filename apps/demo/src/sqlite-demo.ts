/**
 * Database showcase (the seed's `databaseDemo`, made real): creates a table,
 * batch-inserts rows, then runs point queries concurrently with green-thread
 * tickers, and prints the counts and the timings measured on this run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sleep, spawn } from "@zsync/runtime";
import { AsyncDatabase } from "@zsync/sqlite";

/** Runs the database demo against a temporary file database. */
export async function sqliteDemo(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "zsync-demo-"));
  try {
    await using db = await AsyncDatabase.open(join(dir, "demo.db"));
    await db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, karma INTEGER NOT NULL)");

    const rows = Array.from({ length: 20_000 }, (_, i) => ({ id: i + 1, name: `user-${i + 1}`, karma: i % 97 }));
    let start = performance.now();
    const inserted = await db.batchInsert("users", rows);
    console.log(`sqlite: batchInsert ${inserted} rows in ${(performance.now() - start).toFixed(1)} ms`);

    // Tickers want to wake every 5 ms while the queries run; their lateness shows the loop stayed free.
    const stop = { done: false };
    const tickers = Array.from({ length: 4 }, () =>
      spawn(async () => {
        let worst = 0;
        let ticks = 0;
        while (!stop.done) {
          const t = performance.now();
          await sleep(5);
          worst = Math.max(worst, performance.now() - t - 5);
          ticks++;
        }
        return { worst, ticks };
      }),
    );

    start = performance.now();
    let found = 0;
    const workers = Array.from({ length: 64 }, (_, w) =>
      spawn(async () => {
        for (let i = w; i < 20_000; i += 64) {
          const user = await db.get<{ id: number }>("SELECT id, name FROM users WHERE id = ?", [i + 1]);
          if (user !== undefined) found++;
        }
      }),
    );
    await Promise.all(workers);
    const elapsed = performance.now() - start;
    stop.done = true;
    const reports = await Promise.all(tickers);
    const ticks = reports.reduce((sum, r) => sum + r.ticks, 0);
    const worst = Math.max(...reports.map((r) => r.worst));
    console.log(
      `sqlite: ${found} point queries from 64 tasks in ${elapsed.toFixed(1)} ms (${((found / elapsed) * 1000).toFixed(0)} queries/s); ` +
        `tickers ran ${ticks} times meanwhile, worst lateness ${worst.toFixed(2)} ms`,
    );

    const { rows: top } = await db.query<{ karma: number; n: number }>(
      "SELECT karma, count(*) AS n FROM users GROUP BY karma ORDER BY karma DESC LIMIT 1",
    );
    const total = await db.get<{ n: number }>("SELECT count(*) AS n FROM users");
    console.log(`sqlite: table holds ${total?.n} users; top karma ${top[0]?.karma} held by ${top[0]?.n}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
