import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncDatabase } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
let db: AsyncDatabase;

beforeAll(async () => {
  db = await AsyncDatabase.open(tempDbPath(dir));
  await db.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, avatar BLOB, big INTEGER)");
});
afterAll(() => db.close());

describe("query, get, all, run", () => {
  it("run reports changes and lastInsertRowid; get and all return row objects", async () => {
    const inserted = await db.run("INSERT INTO users (name, score) VALUES (?, ?)", ["Alice", 1.5]);
    expect(inserted).toEqual({ changes: 1, lastInsertRowid: 1 });
    await db.run("INSERT INTO users (name, score) VALUES (:name, :score)", { name: "Bob", score: 2 });
    expect(await db.get("SELECT id, name, score FROM users WHERE id = ?", [1])).toEqual({ id: 1, name: "Alice", score: 1.5 });
    expect(await db.get("SELECT * FROM users WHERE id = ?", [99])).toBeUndefined();
    const rows = await db.all("SELECT name FROM users ORDER BY id");
    expect(rows).toEqual([{ name: "Alice" }, { name: "Bob" }]);
  });

  it("query returns rows with write counts, including RETURNING writes", async () => {
    const result = await db.query("UPDATE users SET score = score + 1 WHERE name = ? RETURNING score", ["Bob"]);
    expect(result.rows).toEqual([{ score: 3 }]);
    expect(result.changes).toBe(1);
    const read = await db.query("SELECT count(*) AS n FROM users");
    expect(read).toEqual({ rows: [{ n: 2 }], changes: 0, lastInsertRowid: 0 });
  });

  it("round-trips every Value kind", async () => {
    const blob = new Uint8Array([0, 1, 2, 255]);
    const big = 2n ** 62n + 1n;
    await db.run("INSERT INTO users (id, name, score, avatar, big) VALUES (?, ?, ?, ?, ?)", [10, "V", -0.25, blob, big]);
    const row = await db.get("SELECT * FROM users WHERE id = 10");
    expect(row).toEqual({ id: 10, name: "V", score: -0.25, avatar: blob, big });
    expect(row?.avatar).toBeInstanceOf(Uint8Array);
    expect(typeof row?.big).toBe("bigint");
    const asked = await db.get("SELECT id FROM users WHERE id = 10", [], { integers: "bigint" });
    expect(asked).toEqual({ id: 10n });
    expect(await db.get("SELECT typeof(?) AS a, typeof(?) AS b, ? IS NULL AS c", [5, 5.5, null])).toEqual({
      a: "integer",
      b: "real",
      c: 1,
    });
  });

  it("integers beyond 2^53 come back exact from read-only statements; large reals stay numbers", async () => {
    const row = await db.get("SELECT 9007199254740993 AS i, -9007199254740993 AS n, 9007199254740991 AS safe, 1e300 AS r");
    expect(row).toEqual({ i: 9007199254740993n, n: -9007199254740993n, safe: 9007199254740991, r: 1e300 });
    const rows = await db.all("SELECT value AS v FROM (SELECT 1 AS value UNION ALL SELECT 9223372036854775807) ORDER BY v");
    expect(rows).toEqual([{ v: 1 }, { v: 9223372036854775807n }]);
  });

  it("SELECT * follows schema changes made after the statement was first prepared", async () => {
    await db.exec("CREATE TABLE evolving (a INTEGER)");
    await db.run("INSERT INTO evolving VALUES (1)");
    expect(await db.get("SELECT * FROM evolving")).toEqual({ a: 1 });
    await db.exec("ALTER TABLE evolving ADD COLUMN b TEXT DEFAULT 'x'");
    expect(await db.get("SELECT * FROM evolving")).toEqual({ a: 1, b: "x" });
    expect(await db.all("SELECT * FROM evolving")).toEqual([{ a: 1, b: "x" }]);
  });

  it("more distinct statements than the statement cache holds still run correctly", async () => {
    const small = await AsyncDatabase.open(join(dir, "small-cache.sqlite"), { statementCacheSize: 2 });
    const results: unknown[] = [];
    for (let round = 0; round < 3; round++) {
      results.push(...(await Promise.all(Array.from({ length: 5 }, (_, k) => small.get(`SELECT ? + ${k} AS v`, [round * 10])))));
    }
    expect(results).toEqual(Array.from({ length: 15 }, (_, i) => ({ v: Math.floor(i / 5) * 10 + (i % 5) })));
    await small.close();
  });

  it("iterate streams every row in batches", async () => {
    await db.exec("CREATE TABLE seq (n INTEGER)");
    await db.run("INSERT INTO seq SELECT value FROM generate_series(1, 1000)").catch(async () => {
      await db.exec("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) INSERT INTO seq SELECT x FROM c");
    });
    let sum = 0;
    let count = 0;
    for await (const row of db.iterate<{ n: number }>("SELECT n FROM seq ORDER BY n", [], { batchSize: 64 })) {
      sum += row.n;
      count++;
    }
    expect(count).toBe(1000);
    expect(sum).toBe(500500);
    let seen = 0;
    for await (const _ of db.iterate("SELECT n FROM seq")) {
      if (++seen === 150) break;
    }
    expect(seen).toBe(150);
    expect(await db.get("SELECT count(*) AS n FROM seq")).toEqual({ n: 1000 });
  });
});
