#!/usr/bin/env node
// CI's short mutation run (issue 14): Stryker only on the critical modules
// whose results the committed incremental file no longer vouches for.
//
// Each package's `mutation/stryker-incremental.json` holds, per mutated
// module, the source it was scored on and each mutant's status and covering
// tests, and, per test file, the source it ran. A module is *stale* when its
// source differs from the recorded one, or when a test file that covered one
// of its mutants changed or disappeared. Only stale modules are run, with
// Stryker's incremental mode, so mutants whose code and tests did not change
// keep their recorded result and the run stays short. The gate fails when a
// stale module scores lower than its recorded score (the score may only fall
// by re-running `pnpm mutate` and committing the incremental file, with the
// new survivors explained in the README), or when a listed module was never
// scored.
//
// Usage: node tools/stryker/mutation-gate.mjs [--dry-run] [package-dir ...]
//   --dry-run  report what is stale, run nothing.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Statuses Stryker counts as detected and undetected; the rest (ignored, compile and runtime errors) are not scored. */
const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

/**
 * Stryker's mutation score of one module: detected over detected + undetected, in percent.
 * @param {ReadonlyArray<{ status: string }>} mutants
 * @returns {number | undefined} undefined when nothing was scorable.
 */
export function mutationScore(mutants) {
  let detected = 0;
  let undetected = 0;
  for (const { status } of mutants) {
    if (DETECTED.has(status)) detected++;
    else if (UNDETECTED.has(status)) undetected++;
  }
  const valid = detected + undetected;
  return valid === 0 ? undefined : (100 * detected) / valid;
}

/**
 * A `mutate` entry split into its file and optional line range: Stryker accepts
 * `path`, `path:12-40` and `path:12:5-40:3` (columns are ignored here).
 * @param {string} entry
 * @returns {{ file: string, from?: number, to?: number }}
 */
export function parseMutateEntry(entry) {
  const match = /^(.*?):(\d+)(?::\d+)?-(\d+)(?::\d+)?$/.exec(entry);
  return match ? { file: match[1], from: Number(match[2]), to: Number(match[3]) } : { file: entry };
}

/**
 * The mutants of a report file that belong to a `mutate` entry (its line range, if any).
 * @template {{ location: { start: { line: number } } }} M
 * @param {{ mutants: M[] }} file
 * @param {string} entry
 * @returns {M[]}
 */
export function mutantsOf(file, entry) {
  const { from, to } = parseMutateEntry(entry);
  if (from === undefined || to === undefined) return file.mutants;
  return file.mutants.filter((m) => m.location.start.line >= from && m.location.start.line <= to);
}

/**
 * Why each listed module needs a run, judged against the incremental report.
 * @param {{ files?: Record<string, { source: string, mutants: Array<{ location: { start: { line: number } }, coveredBy?: string[], killedBy?: string[] }> }>,
 *           testFiles?: Record<string, { source: string, tests: Array<{ id: string }> }> } | undefined} report
 * @param {readonly string[]} modules `mutate` entries, relative to the package (a line range may follow the path).
 * @param {(path: string) => string | undefined} read current source of a package file, undefined if absent.
 * @returns {Array<{ module: string, reason: "unscored" | "source changed" | "tests changed" | undefined, recorded?: number }>}
 */
export function staleModules(report, modules, read) {
  const files = report?.files ?? {};
  const testFiles = report?.testFiles ?? {};
  // Test id -> the file it lives in; a test file counts as changed if its text differs or it is gone.
  const fileOfTest = new Map();
  const changedTestFiles = new Set();
  for (const [path, file] of Object.entries(testFiles)) {
    for (const test of file.tests) fileOfTest.set(test.id, path);
    if (read(path) !== file.source) changedTestFiles.add(path);
  }
  return modules.map((module) => {
    const { file } = parseMutateEntry(module);
    const recordedFile = files[file];
    const mutants = recordedFile === undefined ? [] : mutantsOf(recordedFile, module);
    // A file scored only outside this entry's range has not been scored for it.
    if (recordedFile === undefined || mutants.length === 0) return { module, reason: "unscored" };
    const recorded = mutationScore(mutants);
    if (read(file) !== recordedFile.source) return { module, reason: "source changed", recorded };
    for (const mutant of mutants) {
      for (const id of [...(mutant.coveredBy ?? []), ...(mutant.killedBy ?? [])]) {
        const path = fileOfTest.get(id);
        if (path !== undefined && changedTestFiles.has(path)) return { module, reason: "tests changed", recorded };
      }
    }
    return { module, reason: undefined, recorded };
  });
}

/**
 * Compare fresh scores with the recorded ones.
 * @param {ReturnType<typeof staleModules>} stale the modules that were run.
 * @param {Record<string, { mutants: Array<{ status: string }> }>} fresh the run's report files.
 * @returns {Array<{ module: string, recorded?: number, score?: number, ok: boolean }>}
 */
export function judge(stale, fresh) {
  // A hundredth of a point of slack: the scores are ratios of the same integers printed and re-read.
  return stale.map(({ module, recorded }) => {
    const file = fresh[parseMutateEntry(module).file];
    const score = file ? mutationScore(mutantsOf(file, module)) : undefined;
    const ok = score !== undefined && (recorded === undefined || score + 0.01 >= recorded);
    return { module, recorded, score, ok };
  });
}

/**
 * The `pnpm` arguments of an incremental Stryker run over `modules`. Stryker's CLI reads `--mutate` as one
 * comma-separated list and a repeated flag replaces the earlier one, so every module goes in a single flag:
 * with one flag per module only the last was mutated and the others kept their recorded results unchecked.
 * @param {readonly string[]} modules `mutate` entries (a line range may follow the path).
 * @returns {string[]}
 */
export function strykerArgs(modules) {
  return ["exec", "stryker", "run", "--incremental", "--mutate", modules.join(",")];
}

function readIfPresent(path) {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

function survivorsOf(file, module) {
  return mutantsOf(file, module)
    .filter((m) => UNDETECTED.has(m.status))
    .map(
      (m) =>
        `    ${parseMutateEntry(module).file}:${m.location.start.line}:${m.location.start.column} ${m.status} ${m.mutatorName} -> ${JSON.stringify(m.replacement ?? "")}`,
    );
}

async function gatePackage(packageDir, dryRun) {
  const name = relative(process.cwd(), packageDir) || packageDir;
  const config = (await import(pathToFileURL(join(packageDir, "stryker.config.mjs")).href)).default;
  const incrementalPath = join(packageDir, config.incrementalFile);
  const report = existsSync(incrementalPath) ? JSON.parse(readFileSync(incrementalPath, "utf8")) : undefined;
  const verdicts = staleModules(report, config.mutate, (path) => readIfPresent(join(packageDir, path)));
  const stale = verdicts.filter((v) => v.reason !== undefined);
  for (const v of verdicts) {
    const score = v.recorded === undefined ? "" : ` (recorded ${v.recorded.toFixed(2)}%)`;
    console.log(`mutation-gate: ${name} ${v.module}: ${v.reason ?? "unchanged"}${score}`);
  }
  // A module never scored needs a full run, not a short one: it fails the gate without running.
  const unscored = stale.filter((v) => v.reason === "unscored");
  let ok = unscored.length === 0;
  if (!ok) {
    console.error(
      `mutation-gate: ${name}: never scored: ${unscored.map((v) => v.module).join(", ")} (run \`pnpm mutate\` there and commit ${config.incrementalFile})`,
    );
  }
  const toRun = stale.filter((v) => v.reason !== "unscored");
  if (toRun.length === 0 || dryRun) return ok;

  const args = strykerArgs(toRun.map((v) => v.module));
  console.log(`mutation-gate: ${name}: pnpm ${args.join(" ")}`);
  const started = Date.now();
  const run = spawnSync("pnpm", args, { cwd: packageDir, stdio: "inherit" });
  console.log(`mutation-gate: ${name}: stryker finished in ${Math.round((Date.now() - started) / 1000)} s`);
  if (run.status !== 0) {
    console.error(`mutation-gate: ${name}: stryker exited with ${run.status ?? run.signal}`);
    return false;
  }
  const fresh = JSON.parse(readFileSync(join(packageDir, config.jsonReporter.fileName), "utf8")).files;
  let fell = false;
  for (const r of judge(toRun, fresh)) {
    const was = r.recorded === undefined ? "unscored" : `${r.recorded.toFixed(2)}%`;
    const now = r.score === undefined ? "no score" : `${r.score.toFixed(2)}%`;
    console.log(`mutation-gate: ${name} ${r.module}: ${now} (recorded ${was})${r.ok ? "" : "  FELL"}`);
    if (!r.ok) {
      fell = true;
      const file = fresh[parseMutateEntry(r.module).file];
      if (file) console.error(survivorsOf(file, r.module).join("\n"));
    }
  }
  if (fell) {
    ok = false;
    console.error(
      `mutation-gate: ${name}: a changed critical module scores lower than recorded: kill the survivors above, or re-run \`pnpm mutate\`, explain them in the README and commit ${config.incrementalFile}`,
    );
  }
  return ok;
}

async function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const argv = process.argv.slice(2);
  const dryRun = argv.includes("--dry-run");
  const named = argv.filter((a) => !a.startsWith("--"));
  const packages =
    named.length > 0
      ? named
      : readdirSync(join(root, "packages"))
          .map((d) => join(root, "packages", d))
          .filter((d) => existsSync(join(d, "stryker.config.mjs")));
  let ok = true;
  for (const dir of packages) ok = (await gatePackage(dir, dryRun)) && ok;
  process.exit(ok ? 0 : 1);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
