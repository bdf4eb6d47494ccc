// node --test tools/checks/import-cycles.test.mjs
import assert from "node:assert/strict";
import { test } from "node:test";
import { findCycles, runtimeImports } from "./import-cycles.mjs";

test("value imports, side-effect imports and re-exports count", () => {
  const text = [
    'import { a } from "./a.js";',
    'import "./side.js";',
    'export * from "./all.js";',
    'export { b } from "./b.js";',
    "import {\n  c,\n  d,\n} from './multi.js';",
    'import def, { type T } from "./mixed.js";',
  ].join("\n");
  assert.deepEqual(runtimeImports(text), ["./a.js", "./side.js", "./all.js", "./b.js", "./multi.js", "./mixed.js"]);
});

test("type-only imports, packages and string constants do not count", () => {
  const text = [
    'import type { A } from "./a.js";',
    'export type { B } from "./b.js";',
    'import { type C, type D } from "./c.js";',
    'import { x } from "node:fs";',
    'export const path = "./not-an-import.js";',
  ].join("\n");
  assert.deepEqual(runtimeImports(text), []);
});

test("finds a cycle of three and a self-import, and nothing in a DAG", () => {
  const cyclic = new Map([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a"]],
    ["d", ["d"]],
    ["e", ["a"]],
  ]);
  const cycles = findCycles(cyclic).map((c) => [...c].sort().join(","));
  assert.deepEqual(cycles.sort(), ["a,b,c", "d"]);
  const dag = new Map([
    ["a", ["b", "c"]],
    ["b", ["c"]],
    ["c", []],
  ]);
  assert.deepEqual(findCycles(dag), []);
});
