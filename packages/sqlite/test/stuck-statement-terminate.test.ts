/**
 * The fallback for a statement the progress handler cannot stop: SQLite
 * waiting in its busy handler runs no VM instruction, so the stop cell is
 * never read. One second after the stop (STOP_GRACE_MS in database.ts), if
 * the worker is still running the request, the caller's promise rejects with
 * the stop's own error and the worker is terminated; a new writer replaces
 * it once the old thread has exited.
 *
 * The grace period runs on a fake clock: the test does not depend on how
 * long anything takes on a loaded machine, only on what the worker is doing
 * when the clock is advanced.
 */
import { CancelledError } from "@zsync/runtime";
import Database from "better-sqlite3";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { AsyncDatabase } from "../src/index.js";
import { tempDbPath, tempDir } from "./helpers.js";

const dir = tempDir();

afterEach(() => {
  vi.useRealTimers();
});

/** Lets worker messages and promise reactions run (setImmediate is not faked below). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("a stopped statement stuck outside SQLite's VM", () => {
  const path = tempDbPath(dir);
  let db: AsyncDatabase;
  let blocker: Database.Database;
  afterAll(async () => {
    if (blocker?.inTransaction) blocker.exec("COMMIT");
    blocker?.close();
    await db?.close({ signal: AbortSignal.timeout(10_000) });
  });

  it("rejects with its stop error once the grace period has passed, and the writer is replaced", async () => {
    // A long busy timeout: without the fallback, the stopped script would wait this long.
    db = await AsyncDatabase.open(path, { busyTimeoutMs: 120_000 });
    await db.exec("CREATE TABLE t (v INTEGER); CREATE TABLE marker (v INTEGER)");
    await db.run("INSERT INTO t (v) VALUES (1)");

    // Another connection holds a read transaction on an older snapshot: a
    // TRUNCATE checkpoint waits for it in the busy handler.
    blocker = new Database(path, { readonly: true });
    blocker.exec("BEGIN");
    blocker.prepare("SELECT count(*) FROM t").get();

    const controller = new AbortController();
    const script = db.exec("INSERT INTO marker (v) VALUES (1); PRAGMA wal_checkpoint(TRUNCATE)", { signal: controller.signal });
    let outcome: unknown;
    script.then(
      () => {
        outcome = "resolved";
      },
      (error: unknown) => {
        outcome = error;
      },
    );
    // The marker is committed by the script's first statement: from then on the
    // worker is inside the checkpoint, where the progress handler never runs.
    while ((await db.get("SELECT count(*) AS n FROM marker"))?.n !== 1) await turn();

    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    controller.abort(new Error("caller gave up"));
    await turn();
    // Stopped through the interrupt cells, but the worker cannot see them yet.
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(999);
    await turn();
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await turn();
    expect(outcome).toBeInstanceOf(CancelledError);
    expect((outcome as CancelledError).code).toBe("ZSYNC_CANCELLED");
    expect((outcome as CancelledError).reason).toEqual(new Error("caller gave up"));
    expect(db.stats().connectionsReplaced).toBe(1);
    vi.useRealTimers();

    // Once the lock is gone the old thread returns to JavaScript and ends;
    // writes queued meanwhile run on the new writer.
    const after = db.run("INSERT INTO t (v) VALUES (2)");
    blocker.exec("COMMIT");
    await expect(after).resolves.toMatchObject({ changes: 1 });
    expect(await db.get("SELECT count(*) AS n FROM t")).toEqual({ n: 2 });
    expect(db.stats().connectionsReplaced).toBe(1);
  }, 60_000);
});
