/**
 * Side-by-side benchmark harness shared by every zsync-ts package.
 *
 * Each case runs *ours* and *its anchor* (the library we wrap or compete with)
 * in the same process, interleaved over several rounds so that drift in machine
 * load hits both sides alike. The median of the rounds is reported, with the
 * ratio ours/anchor, as a markdown row; the rows are also written as JSON under
 * `bench-results/` at the workspace root.
 *
 * Timing uses tinybench for the per-call cases; cases that measure something
 * other than call time (event-loop lag, a whole batch's throughput) supply a
 * `sample` function that returns one measurement per round.
 *
 * @example
 * ```ts
 * import { runSuite, timed } from "@zsync/bench-harness";
 * declare function parseFast(text: string): unknown; // the code under test
 * const text = JSON.stringify({ items: Array.from({ length: 64 }, (_, i) => ({ i })) });
 * await runSuite("json", [
 *   timed({ name: "parse 2 KiB", ours: () => parseFast(text), anchor: { name: "JSON.parse", fn: () => JSON.parse(text) } }),
 * ]);
 * ```
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";

/** One measurement of one side of a case, in the case's unit. */
export type Sample = () => number | Promise<number>;

/** Whether a larger or a smaller number is the better result. */
export type Direction = "higher" | "lower";

/** A fully specified case: two samplers measuring the same quantity. */
export interface BenchCase {
  /** Row label. */
  readonly name: string;
  /** Unit of the samples, e.g. `ops/s`, `MB/s`, `µs`. */
  readonly unit: string;
  /** Which way is better; informs how the ratio reads. */
  readonly better: Direction;
  /** Measures our implementation once. */
  readonly ours: Sample;
  /** Measures the anchor once. */
  readonly anchor: { readonly name: string; readonly sample: Sample };
  /** Human-readable target from the issue, printed beside the ratio. */
  readonly target?: string;
  /** Rounds per side (default 5). */
  readonly rounds?: number;
  /** Discarded rounds per side before measuring, so JIT warm-up does not count (default 1). */
  readonly warmupRounds?: number;
  /** Runs once before the rounds (allocate fixtures here). */
  readonly setup?: () => void | Promise<void>;
  /** Runs once after the rounds. */
  readonly teardown?: () => void | Promise<void>;
}

/** A function timed by tinybench; it performs `opsPerCall` operations per call. */
export interface TimedSide {
  readonly fn: () => unknown;
  /** Operations performed by one call (default 1). */
  readonly opsPerCall?: number;
}

export interface TimedCaseOptions {
  readonly name: string;
  readonly ours: (() => unknown) | TimedSide;
  readonly anchor: { readonly name: string } & TimedSide;
  /** `throughput` reports ops/s (default); `latency` reports µs per op. */
  readonly report?: "throughput" | "latency";
  readonly target?: string;
  readonly rounds?: number;
  /** Milliseconds tinybench spends on each side per round (default 250). */
  readonly timeMs?: number;
  readonly setup?: () => void | Promise<void>;
  readonly teardown?: () => void | Promise<void>;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median: values must not be empty");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError("percentile: values must not be empty");
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

async function tinybenchP50(fn: () => unknown, timeMs: number): Promise<number> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(50, timeMs / 4) });
  bench.add("side", fn);
  await bench.run();
  const task = bench.tasks[0];
  const result = task?.result;
  if (!result || !("latency" in result)) {
    const error = result && "error" in result ? (result as { error?: unknown }).error : undefined;
    throw new Error("benchmark side failed", { cause: error });
  }
  return (result as { latency: { p50: number } }).latency.p50; // milliseconds per call
}

/** Builds a case whose sides are timed per call with tinybench. */
export function timed(options: TimedCaseOptions): BenchCase {
  const ours: TimedSide = typeof options.ours === "function" ? { fn: options.ours } : options.ours;
  const report = options.report ?? "throughput";
  const timeMs = options.timeMs ?? 250;
  const sampler =
    (side: TimedSide): Sample =>
    async () => {
      const msPerCall = await tinybenchP50(side.fn, timeMs);
      const msPerOp = msPerCall / (side.opsPerCall ?? 1);
      return report === "throughput" ? 1000 / msPerOp : msPerOp * 1000;
    };
  const base: BenchCase = {
    name: options.name,
    unit: report === "throughput" ? "ops/s" : "µs/op",
    better: report === "throughput" ? "higher" : "lower",
    ours: sampler(ours),
    anchor: { name: options.anchor.name, sample: sampler(options.anchor) },
  };
  return {
    ...base,
    ...(options.target !== undefined && { target: options.target }),
    ...(options.rounds !== undefined && { rounds: options.rounds }),
    ...(options.setup !== undefined && { setup: options.setup }),
    ...(options.teardown !== undefined && { teardown: options.teardown }),
  };
}

/** Times one async batch of `ops` operations and returns ops/s. */
export async function batchThroughput(ops: number, batch: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await batch();
  const elapsed = performance.now() - start;
  return (ops * 1000) / Math.max(elapsed, 1e-6);
}

/** The outcome of one case. */
export interface BenchRow {
  readonly suite: string;
  readonly case: string;
  readonly unit: string;
  readonly better: Direction;
  readonly ours: number;
  readonly anchorName: string;
  readonly anchor: number;
  /** ours / anchor */
  readonly ratio: number;
  readonly target?: string;
  readonly rounds: number;
  readonly oursSamples: readonly number[];
  readonly anchorSamples: readonly number[];
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** Markdown header matching {@link formatRow}. */
export const TABLE_HEADER = "| case | ours (median) | anchor | anchor (median) | ratio ours/anchor | target |\n|---|---|---|---|---|---|";

/** One markdown table row. */
export function formatRow(row: BenchRow): string {
  const arrow = row.better === "higher" ? "higher is better" : "lower is better";
  return `| ${row.case} | ${format(row.ours)} ${row.unit} | ${row.anchorName} | ${format(row.anchor)} ${row.unit} | ${row.ratio.toFixed(2)}x (${arrow}) | ${row.target ?? ""} |`;
}

/** Runs one case: interleaved rounds, alternating which side goes first. */
export async function runCase(suite: string, benchCase: BenchCase): Promise<BenchRow> {
  const rounds = benchCase.rounds ?? 5;
  const ours: number[] = [];
  const anchor: number[] = [];
  await benchCase.setup?.();
  try {
    for (let round = 0; round < (benchCase.warmupRounds ?? 1); round++) {
      await benchCase.ours();
      await benchCase.anchor.sample();
    }
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        ours.push(await benchCase.ours());
        anchor.push(await benchCase.anchor.sample());
      } else {
        anchor.push(await benchCase.anchor.sample());
        ours.push(await benchCase.ours());
      }
    }
  } finally {
    await benchCase.teardown?.();
  }
  const oursMedian = median(ours);
  const anchorMedian = median(anchor);
  return {
    suite,
    case: benchCase.name,
    unit: benchCase.unit,
    better: benchCase.better,
    ours: oursMedian,
    anchorName: benchCase.anchor.name,
    anchor: anchorMedian,
    ratio: oursMedian / anchorMedian,
    ...(benchCase.target !== undefined && { target: benchCase.target }),
    rounds,
    oursSamples: ours,
    anchorSamples: anchor,
  };
}

function workspaceRoot(): string {
  // dist/index.js lives at tools/bench/dist; the workspace root is three up.
  return resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
}

export interface SuiteOptions {
  /** Only run cases whose name includes this string (also read from `BENCH_FILTER`). */
  readonly filter?: string;
  /** Directory for the JSON rows (default `<workspace>/bench-results`). */
  readonly outDir?: string;
}

/**
 * Runs every case of a suite, printing a markdown table as rows complete and
 * writing `bench-results/<suite>.json`.
 */
export async function runSuite(suite: string, cases: readonly BenchCase[], options: SuiteOptions = {}): Promise<BenchRow[]> {
  const filter = options.filter ?? process.env.BENCH_FILTER;
  const selected = filter ? cases.filter((c) => c.name.includes(filter)) : cases;
  console.log(`\n### ${suite} (node ${process.version}, ${new Date().toISOString()})\n`);
  console.log(TABLE_HEADER);
  const rows: BenchRow[] = [];
  for (const benchCase of selected) {
    const row = await runCase(suite, benchCase);
    rows.push(row);
    console.log(formatRow(row));
  }
  const outDir = options.outDir ?? join(workspaceRoot(), "bench-results");
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, `${suite}.json`),
    `${JSON.stringify({ suite, node: process.version, date: new Date().toISOString(), rows }, null, 2)}\n`,
  );
  return rows;
}

/**
 * Samples event-loop lag while `work` runs: a timer asks to fire every
 * `intervalMs` and records how late it was. Returns the lag samples in ms.
 */
export async function measureLoopLag(work: () => Promise<unknown>, intervalMs = 1): Promise<number[]> {
  const lags: number[] = [];
  let expected = performance.now() + intervalMs;
  let running = true;
  const tick = (): void => {
    if (!running) return;
    const now = performance.now();
    lags.push(Math.max(0, now - expected));
    expected = now + intervalMs;
    setTimeout(tick, intervalMs);
  };
  setTimeout(tick, intervalMs);
  try {
    await work();
  } finally {
    running = false;
  }
  return lags.length > 0 ? lags : [0];
}
