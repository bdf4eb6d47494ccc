import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AsyncDatabase, ConnectionLostError } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
/** Built by `tsc -p tsconfig.build.json` (the workspace builds before testing). */
const DIST = new URL("../dist/index.js", import.meta.url);

describe("reliability", () => {
  it("a worker crash rejects its in-flight query clearly; the connection is replaced and later queries succeed", async () => {
    const db = await AsyncDatabase.open(tempDbPath(dir));
    await db.exec("CREATE TABLE t (n INTEGER)");
    for (const role of ["reader", "writer"] as const) {
      db.crashConnectionForTesting(role);
      const inFlight = role === "reader" ? db.get("SELECT 1 AS x") : db.run("INSERT INTO t VALUES (1)");
      const error = await inFlight.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionLostError);
      expect(error).toMatchObject({ role, code: "ZSYNC_SQLITE_CONNECTION_LOST" });
      expect((error as Error).message).toMatch(/exited unexpectedly/);
    }
    await db.run("INSERT INTO t VALUES (2)");
    expect(await db.all("SELECT n FROM t")).toEqual([{ n: 2 }]);
    expect(db.stats().connectionsReplaced).toBe(2);
    await db.close();
  });

  it("1,000 concurrent mixed reads and writes from many tasks: no lost writes, no SQLITE_BUSY, consistent", async () => {
    const db = await AsyncDatabase.open(tempDbPath(dir), { maxReaders: 3 });
    await db.exec("CREATE TABLE counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); CREATE TABLE events (task INTEGER, k INTEGER)");
    await db.batchInsert(
      "counters",
      Array.from({ length: 10 }, (_, id) => ({ id, n: 0 })),
    );
    const tasks = 50;
    const opsPerTask = 20; // 1,000 operations
    const errors: unknown[] = [];
    const task = async (t: number): Promise<number> => {
      let writes = 0;
      for (let k = 0; k < opsPerTask; k++) {
        try {
          if ((t + k) % 3 === 0) {
            await db.transaction(async (tx) => {
              await tx.run("UPDATE counters SET n = n + 1 WHERE id = ?", [k % 10]);
              await tx.run("INSERT INTO events VALUES (?, ?)", [t, k]);
            });
            writes++;
          } else {
            const row = await db.get<{ total: number; events: number }>(
              "SELECT (SELECT sum(n) FROM counters) AS total, (SELECT count(*) FROM events) AS events",
            );
            // Every snapshot is consistent: each transaction adds one to both.
            if (row?.total !== row?.events) throw new RangeError(`inconsistent snapshot ${JSON.stringify(row)}`);
          }
        } catch (error) {
          errors.push(error);
        }
      }
      return writes;
    };
    const writes = (await Promise.all(Array.from({ length: tasks }, (_, t) => task(t)))).reduce((a, b) => a + b, 0);
    expect(errors).toEqual([]);
    expect(await db.get("SELECT count(*) AS n FROM events")).toEqual({ n: writes });
    expect(await db.get("SELECT sum(n) AS n FROM counters")).toEqual({ n: writes });
    await db.close();
  });

  it("after SIGKILL of a process writing transactions, every acknowledged one is present and integrity_check passes", async () => {
    // turbo builds the package before its tests; run `pnpm build` first when calling vitest directly.
    if (!existsSync(DIST)) throw new Error(`this test runs the built package in a child process: ${DIST.href} is missing`);
    const path = tempDbPath(dir);
    const script = join(dir, "writer.mjs");
    // The child runs the built package (dist/), as an application would.
    writeFileSync(
      script,
      `import { AsyncDatabase } from ${JSON.stringify(DIST.href)};
const db = await AsyncDatabase.open(process.argv[2]);
await db.exec("CREATE TABLE IF NOT EXISTS acks (seq INTEGER PRIMARY KEY, payload TEXT)");
for (let seq = 1; ; seq++) {
  await db.transaction(async (tx) => { await tx.run("INSERT INTO acks VALUES (?, ?)", [seq, "x".repeat(200)]); });
  process.stdout.write(seq + "\\n");
}
`,
    );
    const child = spawn(process.execPath, [script, path], { stdio: ["ignore", "pipe", "inherit"] });
    let acknowledged = 0;
    let buffered = "";
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        for (const line of lines) if (line !== "") acknowledged = Number(line);
        if (acknowledged >= 300 && child.exitCode === null && !child.killed) {
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once("exit", resolve));
    expect(acknowledged).toBeGreaterThanOrEqual(300);
    const db = await AsyncDatabase.open(path);
    expect(await db.get("PRAGMA integrity_check")).toEqual({ integrity_check: "ok" });
    const { n, max } = (await db.get<{ n: number; max: number }>("SELECT count(*) AS n, max(seq) AS max FROM acks")) ?? { n: 0, max: 0 };
    expect(max).toBeGreaterThanOrEqual(acknowledged);
    expect(n).toBe(max); // no gaps: every acknowledged transaction is there
    await db.close();
  }, 30_000);
});
