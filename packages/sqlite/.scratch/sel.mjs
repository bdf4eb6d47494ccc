import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { AsyncDatabase } from "../.bench-dist/src/index.js";
const ROWS = 100000;
const dir = mkdtempSync(join(tmpdir(), "sqp-"));
const path = join(dir, "b.db");
const seed = new Database(path);
seed.pragma("journal_mode = WAL");
seed.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL, qty INTEGER NOT NULL)");
const ins = seed.prepare("INSERT INTO items VALUES (?, ?, ?, ?)");
seed.transaction(() => { for (let i = 1; i <= ROWS; i++) ins.run(i, `item-${i}`, i * 0.5, i % 100); })();
const sel = seed.prepare("SELECT * FROM items WHERE id = ?");
let rng = 1;
const nextId = () => { rng = (rng * 1103515245 + 12345) & 0x7fffffff; return (rng % ROWS) + 1; };
const db = await AsyncDatabase.open(path, process.env.READERS ? { maxReaders: +process.env.READERS } : undefined);
async function run(ops) {
  let remaining = ops;
  const lane = async () => { while (remaining > 0) { remaining--; await db.get("SELECT * FROM items WHERE id = ?", [nextId()]); } };
  await Promise.all(Array.from({ length: 64 }, lane));
}
await run(5000);
for (let r = 0; r < Number(process.env.ROUNDS ?? 5); r++) {
  let t = performance.now(); await run(40000); const a = 40000000 / (performance.now() - t);
  t = performance.now(); for (let i = 0; i < 40000; i++) sel.get(nextId()); const s = 40000000 / (performance.now() - t);
  console.log(`async ${(a/1000).toFixed(0)}k sync ${(s/1000).toFixed(0)}k ratio ${(a/s).toFixed(2)}`);
}
await db.close();
