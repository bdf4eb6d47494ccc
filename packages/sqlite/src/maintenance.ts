/**
 * `runMaintenance`: the seed's VACUUM, ANALYZE and REINDEX, plus
 * `PRAGMA optimize` and a WAL checkpoint. Each step is a separate write on
 * the writer connection, so other writes interleave between steps, and none
 * of them blocks readers (in WAL mode readers keep reading their snapshot;
 * the TRUNCATE checkpoint waits for them through the busy handler instead of
 * blocking them, and reports `busy` if they outlasted it).
 *
 * @example
 * ```ts
 * import type { AsyncDatabase } from "@zsync/sqlite";
 * declare const db: AsyncDatabase;
 * const report = await db.runMaintenance({ vacuum: false });
 * for (const step of report.steps) console.log(step.name, step.ms.toFixed(1), "ms");
 * ```
 * @module
 */
import type { Queryable } from "./queryable.js";

/** Which steps to run (all default to true). */
export interface MaintenanceOptions {
  readonly optimize?: boolean;
  readonly analyze?: boolean;
  readonly reindex?: boolean;
  readonly vacuum?: boolean;
  readonly checkpoint?: boolean;
  readonly signal?: AbortSignal;
}

/** Outcome of {@link maintain}. */
export interface MaintenanceReport {
  /** Steps run, in order, with their wall-clock duration. */
  readonly steps: readonly { readonly name: string; readonly ms: number }[];
  /** The checkpoint's result (`busy` = 1 if readers kept it from finishing), if one ran. */
  readonly checkpoint?: { readonly busy: number; readonly log: number; readonly checkpointed: number };
}

const STEPS = [
  ["optimize", "PRAGMA optimize"],
  ["analyze", "ANALYZE"],
  ["reindex", "REINDEX"],
  ["vacuum", "VACUUM"],
] as const;

export async function maintain(db: Queryable, options: MaintenanceOptions = {}): Promise<MaintenanceReport> {
  const call = options.signal === undefined ? undefined : { signal: options.signal };
  const steps: { name: string; ms: number }[] = [];
  for (const [name, sql] of STEPS) {
    if (options[name] === false) continue;
    const start = performance.now();
    await db.exec(sql, call);
    steps.push({ name, ms: performance.now() - start });
  }
  if (options.checkpoint === false) return { steps };
  const start = performance.now();
  const result = (await db.query<{ busy: number; log: number; checkpointed: number }>("PRAGMA wal_checkpoint(TRUNCATE)", undefined, call))
    .rows[0];
  steps.push({ name: "checkpoint", ms: performance.now() - start });
  return {
    steps,
    checkpoint: { busy: Number(result?.busy ?? 0), log: Number(result?.log ?? -1), checkpointed: Number(result?.checkpointed ?? -1) },
  };
}
