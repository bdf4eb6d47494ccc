// Self-test of the snippet extractor: run with `node --test tools/doc-snippets/extract.test.mjs`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { exampleSnippets, markdownSnippets } from "./extract.mjs";

test("markdown: ts and typescript blocks with their first code line; other languages ignored", () => {
  const text = ["# Title", "```ts", "const a = 1;", "```", "```sh", "npm test", "```", "```typescript", "const b = 2;", "```"].join("\n");
  const snippets = markdownSnippets(text, "README.md");
  assert.deepEqual(
    snippets.map((s) => [s.line, s.code, s.nocheck]),
    [
      [3, "const a = 1;", false],
      [9, "const b = 2;", false],
    ],
  );
});

test("markdown: nocheck and file= marks are read from the info string", () => {
  const text = ["```ts nocheck", "broken(", "```", "```ts file=tasks.ts", "export const x = 1;", "```"].join("\n");
  const [skipped, named] = markdownSnippets(text, "README.md");
  assert.equal(skipped.nocheck, true);
  assert.equal(named.nocheck, false);
  assert.equal(named.name, "tasks.ts");
});

test("markdown: a longer fence may contain a shorter one", () => {
  const text = ["````ts", "const s = `", "```", "`;", "````"].join("\n");
  assert.deepEqual(
    markdownSnippets(text, "README.md").map((s) => s.code),
    ["const s = `\n```\n`;"],
  );
});

test("doc comments: @example blocks lose the comment gutter but keep indentation, with source lines", () => {
  const text = [
    "/**",
    " * Does things.",
    " *",
    " * @example",
    " * ```ts",
    " * if (ok) {",
    " *   go();",
    " * }",
    " * ```",
    " * @param x ignored",
    " * ```ts",
    " * notAnExample();",
    " * ```",
    " */",
    "export function f() {}",
  ].join("\n");
  const snippets = exampleSnippets(text, "src/f.ts");
  assert.deepEqual(
    snippets.map((s) => [s.line, s.code]),
    [[6, "if (ok) {\n  go();\n}"]],
  );
});

test("doc comments: indented member comments and several examples in one file", () => {
  const text = [
    "class A {",
    "  /**",
    "   * @example",
    "   * ```ts",
    "   * one();",
    "   * ```",
    "   */",
    "  m() {}",
    "}",
    "/** @example",
    " * ```ts",
    " * two();",
    " * ```",
    " */",
  ].join("\n");
  assert.deepEqual(
    exampleSnippets(text, "src/a.ts").map((s) => [s.line, s.code]),
    [
      [5, "one();"],
      [12, "two();"],
    ],
  );
});
