// The mutation gate's judgement, without running Stryker: what counts as
// stale, how a score is computed, and when a fresh score fails the gate.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { judge, mutantsOf, mutationScore, parseMutateEntry, staleModules, strykerArgs } from "./mutation-gate.mjs";

const mutant = (status, coveredBy = [], killedBy = [], line = 1) => ({ status, coveredBy, killedBy, location: { start: { line } } });

const report = {
  files: {
    "src/a.ts": { source: "a v1", mutants: [mutant("Killed", ["0"], ["0"]), mutant("Survived", ["0"])] },
    "src/b.ts": { source: "b v1", mutants: [mutant("Killed", ["1"], ["1"])] },
  },
  testFiles: {
    "test/a.test.ts": { source: "test a v1", tests: [{ id: "0" }] },
    "test/b.test.ts": { source: "test b v1", tests: [{ id: "1" }] },
    "test/unrelated.test.ts": { source: "other v1", tests: [{ id: "2" }] },
  },
};
const current = {
  "src/a.ts": "a v1",
  "src/b.ts": "b v1",
  "test/a.test.ts": "test a v1",
  "test/b.test.ts": "test b v1",
  "test/unrelated.test.ts": "other v1",
};
const reader = (changes) => (path) => ({ ...current, ...changes })[path];
const reasons = (changes, modules = ["src/a.ts", "src/b.ts"]) => staleModules(report, modules, reader(changes)).map((v) => v.reason);

describe("mutationScore", () => {
  test("is detected (killed, timed out) over detected plus undetected (survived, no coverage)", () => {
    assert.equal(mutationScore([mutant("Killed"), mutant("Timeout"), mutant("Survived"), mutant("NoCoverage")]), 50);
  });
  test("leaves out mutants Stryker does not score", () => {
    assert.equal(mutationScore([mutant("Killed"), mutant("CompileError"), mutant("RuntimeError"), mutant("Ignored")]), 100);
    assert.equal(mutationScore([mutant("Ignored")]), undefined);
  });
});

describe("staleModules", () => {
  test("an unchanged tree needs no run", () => {
    assert.deepEqual(reasons({}), [undefined, undefined]);
  });
  test("a module whose source differs from the recorded one is stale", () => {
    assert.deepEqual(reasons({ "src/a.ts": "a v2" }), ["source changed", undefined]);
  });
  test("a changed or deleted test file makes the modules it covered stale, and only those", () => {
    assert.deepEqual(reasons({ "test/a.test.ts": "test a v2" }), ["tests changed", undefined]);
    assert.deepEqual(reasons({ "test/b.test.ts": undefined }), [undefined, "tests changed"]);
    assert.deepEqual(reasons({ "test/unrelated.test.ts": "other v2" }), [undefined, undefined]);
  });
  test("a listed module the report has never scored is unscored", () => {
    assert.deepEqual(reasons({}, ["src/c.ts"]), ["unscored"]);
    assert.deepEqual(
      staleModules(undefined, ["src/a.ts"], reader({})).map((v) => v.reason),
      ["unscored"],
    );
  });
  test("carries the recorded score", () => {
    assert.equal(staleModules(report, ["src/a.ts"], reader({ "src/a.ts": "x" }))[0].recorded, 50);
  });
});

describe("judge", () => {
  const stale = [{ module: "src/a.ts", reason: "source changed", recorded: 50 }];
  test("passes a score at or above the recorded one", () => {
    assert.equal(judge(stale, { "src/a.ts": { mutants: [mutant("Killed"), mutant("Survived")] } })[0].ok, true);
    assert.equal(judge(stale, { "src/a.ts": { mutants: [mutant("Killed")] } })[0].ok, true);
  });
  test("fails a score below the recorded one", () => {
    const fresh = { "src/a.ts": { mutants: [mutant("Killed"), mutant("Survived"), mutant("NoCoverage")] } };
    assert.equal(judge(stale, fresh)[0].ok, false);
  });
  test("fails a module the run did not score", () => {
    assert.equal(judge(stale, {})[0].ok, false);
  });
});

describe("line ranges in mutate entries", () => {
  const ranged = {
    files: {
      "src/pool.ts": {
        source: "pool v1",
        mutants: [mutant("Survived", ["0"], [], 5), mutant("Killed", ["0"], ["0"], 150), mutant("Survived", ["0"], [], 400)],
      },
    },
    testFiles: { "test/pool.test.ts": { source: "t", tests: [{ id: "0" }] } },
  };
  const read = (path) => ({ "src/pool.ts": "pool v1", "test/pool.test.ts": "t" })[path];
  test("split into the file and its lines, columns ignored", () => {
    assert.deepEqual(parseMutateEntry("src/pool.ts"), { file: "src/pool.ts" });
    assert.deepEqual(parseMutateEntry("src/pool.ts:156-160"), { file: "src/pool.ts", from: 156, to: 160 });
    assert.deepEqual(parseMutateEntry("src/pool.ts:10:4-20:1"), { file: "src/pool.ts", from: 10, to: 20 });
  });
  test("score only the mutants inside the range", () => {
    assert.equal(mutantsOf(ranged.files["src/pool.ts"], "src/pool.ts:100-200").length, 1);
    assert.deepEqual(
      staleModules(ranged, ["src/pool.ts:100-200", "src/pool.ts"], read).map((v) => [v.reason, v.recorded]),
      [
        [undefined, 100],
        [undefined, (100 * 1) / 3],
      ],
    );
  });
  test("a range with no recorded mutant is unscored", () => {
    assert.equal(staleModules(ranged, ["src/pool.ts:600-700"], read)[0].reason, "unscored");
  });
  test("judge a fresh run by the range's mutants", () => {
    const stale = [{ module: "src/pool.ts:100-200", reason: "source changed", recorded: 100 }];
    const fresh = { "src/pool.ts": { mutants: [mutant("Killed", [], [], 150), mutant("Survived", [], [], 300)] } };
    assert.equal(judge(stale, fresh)[0].ok, true);
    fresh["src/pool.ts"].mutants.push(mutant("Survived", [], [], 160));
    assert.equal(judge(stale, fresh)[0].ok, false);
  });
});

describe("the Stryker run over stale modules", () => {
  // Stryker's CLI parses `--mutate` as one comma-separated list, and a repeated flag replaces the earlier
  // one: every stale module must be in the one flag, or all but the last keep their recorded results unchecked.
  test("names every stale module, line ranges included, in a single --mutate list", () => {
    const modules = ["src/a.ts", "src/pool.ts:100-200", "src/b/c.ts"];
    const args = strykerArgs(modules);
    assert.equal(args.filter((a) => a === "--mutate").length, 1);
    assert.deepEqual(args[args.indexOf("--mutate") + 1].split(","), modules);
    assert.ok(args.includes("--incremental"));
  });
});
