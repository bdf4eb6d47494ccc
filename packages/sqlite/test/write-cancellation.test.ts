/**
 * Cancelling one write never fails, or falsely fails, another: a write that
 * may be cancelled gets the writer only once the writes sent before it are
 * answered, and a write rejected with `TimeoutError`/`CancelledError`
 * committed nothing, while one that resolved is in the database.
 */
import { CancelledError, TimeoutError } from "@zsync/runtime";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AsyncDatabase, TransactionStateError } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();
let db: AsyncDatabase;
/** A write that takes a few milliseconds: the subquery counts to 20 000 first. */
const SLOW_INSERT =
  "INSERT INTO t (id) SELECT ? WHERE (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) SELECT count(*) FROM c) > 0";

beforeAll(async () => {
  db = await AsyncDatabase.open(tempDbPath(dir));
  await db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
});
afterAll(() => db.close({ signal: AbortSignal.timeout(5000) }));

describe("a cancellable write behind plain writes", () => {
  it("times out in the queue without failing or committing any other write", async () => {
    await db.run("DELETE FROM t");
    const plain = Array.from({ length: 100 }, (_, i) =>
      db.run(SLOW_INSERT, [i]).then(
        () => "ok",
        (error: Error) => error.name,
      ),
    );
    const cancelled = await db.run("INSERT INTO t (id) VALUES (-1)", [], { timeoutMs: 1 }).then(
      () => "ok",
      (error: Error) => error.name,
    );
    expect(cancelled).toBe("TimeoutError");
    expect(await Promise.all(plain)).toEqual(Array.from({ length: 100 }, () => "ok"));
    expect(await db.get("SELECT count(*) AS n, min(id) AS lo FROM t")).toEqual({ n: 100, lo: 0 });
  });

  it("with runTimeoutMs, time spent queued does not count; with timeoutMs it does", async () => {
    await db.run("DELETE FROM t");
    const plain = Array.from({ length: 50 }, (_, i) => db.run(SLOW_INSERT, [i]));
    const queuedTotal = db.run("INSERT INTO t (id) VALUES (-1)", [], { timeoutMs: 1 });
    const runOnly = db.run("INSERT INTO t (id) VALUES (-2)", [], { runTimeoutMs: 1_000 });
    await expect(queuedTotal).rejects.toBeInstanceOf(TimeoutError);
    await expect(runOnly).resolves.toMatchObject({ changes: 1 });
    await Promise.all(plain);
    expect(await db.get("SELECT count(*) AS n FROM t WHERE id < 0")).toEqual({ n: 1 });
  });

  it("aborted while it has the writer: rolled back, and the plain writes queued behind it still run", async () => {
    await db.run("DELETE FROM t");
    const controller = new AbortController();
    const RUNAWAY =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) INSERT INTO t (id) SELECT -x FROM c WHERE x % 1000 = 0";
    const stopped = db.run(RUNAWAY, [], { signal: controller.signal });
    const behind = Array.from({ length: 20 }, (_, i) => db.run("INSERT INTO t (id) VALUES (?)", [i]));
    setTimeout(() => controller.abort("enough"), 50);
    await expect(stopped).rejects.toBeInstanceOf(CancelledError);
    await Promise.all(behind);
    expect(await db.get("SELECT count(*) AS n, min(id) AS lo FROM t")).toEqual({ n: 20, lo: 0 });
    expect(db.stats().connectionsReplaced).toBe(0);
  });
});

type Op =
  | { readonly kind: "plain" }
  | { readonly kind: "signal"; readonly abortAfterMs: number; readonly slow: boolean }
  | { readonly kind: "timeout"; readonly timeoutMs: number; readonly slow: boolean }
  | { readonly kind: "transaction"; readonly rows: number; readonly abortAfterMs: number | null }
  | { readonly kind: "batch"; readonly rows: number; readonly abortAfterMs: number | null };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: "plain" }),
  fc.record({ kind: fc.constant("signal" as const), abortAfterMs: fc.integer({ min: 0, max: 8 }), slow: fc.boolean() }),
  fc.record({ kind: fc.constant("timeout" as const), timeoutMs: fc.integer({ min: 0, max: 8 }), slow: fc.boolean() }),
  fc.record({
    kind: fc.constant("transaction" as const),
    rows: fc.integer({ min: 1, max: 4 }),
    abortAfterMs: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
  }),
  fc.record({
    kind: fc.constant("batch" as const),
    rows: fc.integer({ min: 1, max: 5000 }),
    abortAfterMs: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
  }),
);

const EXPECTED_FAILURES = [CancelledError, TimeoutError, TransactionStateError];

describe("property: every write that resolved is in the database, every write that rejected is absent", () => {
  it("holds for random mixes of plain, cancellable, transactional and batch writes with random cancellations", async () => {
    let next = 1;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
        await db.run("DELETE FROM t");
        const calls = ops.map(async (op): Promise<{ ids: number[]; ok: boolean }> => {
          const base = next;
          const count = op.kind === "transaction" || op.kind === "batch" ? op.rows : 1;
          next += count;
          const ids = Array.from({ length: count }, (_, i) => base + i);
          const abortAfter = "abortAfterMs" in op ? op.abortAfterMs : null;
          const controller = abortAfter === null ? undefined : new AbortController();
          if (controller !== undefined) setTimeout(() => controller.abort("random"), abortAfter ?? 0);
          const signal = controller?.signal;
          const sql = "slow" in op && op.slow ? SLOW_INSERT : "INSERT INTO t (id) VALUES (?)";
          try {
            switch (op.kind) {
              case "plain":
                await db.run(sql, [base]);
                break;
              case "signal":
                await db.run(sql, [base], { signal });
                break;
              case "timeout":
                await db.run(sql, [base], { timeoutMs: op.timeoutMs });
                break;
              case "transaction":
                await db.transaction(async (tx) => {
                  for (const id of ids) await tx.run(SLOW_INSERT, [id], signal === undefined ? undefined : { signal });
                });
                break;
              case "batch":
                await db.batchInsert(
                  "t",
                  ids.map((id) => ({ id })),
                  { signal },
                );
                break;
            }
            return { ids, ok: true };
          } catch (error) {
            if (!EXPECTED_FAILURES.some((type) => error instanceof type)) throw error;
            return { ids, ok: false };
          }
        });
        const outcomes = await Promise.all(calls);
        const present = new Set((await db.all<{ id: number }>("SELECT id FROM t")).map((row) => row.id));
        for (const { ids, ok } of outcomes) {
          for (const id of ids) expect(present.has(id), `id ${id} of a call that ${ok ? "resolved" : "rejected"}`).toBe(ok);
        }
        expect(db.stats().connectionsReplaced).toBe(0);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
