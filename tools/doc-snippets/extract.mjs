// Finds the TypeScript snippets a package documents itself with: fenced
// ```ts / ```typescript blocks in README.md and docs/*.md, and the fenced
// blocks of `@example` tags in the doc comments of src/**/*.ts.
//
// A block whose info string carries the word `nocheck` (```ts nocheck) is
// reported as skipped instead of checked: the mark for a snippet that is
// deliberately not compilable. It should be rare.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

/**
 * @typedef {object} Snippet
 * @property {string} file    path of the source, relative to the package
 * @property {number} line    1-based line of the snippet's first code line in `file`
 * @property {string} code    the snippet's code
 * @property {boolean} nocheck whether the block is marked `nocheck`
 * @property {string | undefined} name file name given with `file=NAME` (for a multi-file example whose
 *   modules import each other, e.g. ```ts file=tasks.ts and `import ... from "./tasks.js"`)
 */

const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})\s*([^`\s]*)(.*)$/;
const TS_LANGS = new Set(["ts", "typescript", "mts", "tsx"]);

/**
 * Fenced code blocks of `lines` whose language is TypeScript.
 * @param {string[]} lines
 * @param {number} firstLine 1-based line number of `lines[0]` in its file
 * @returns {{ line: number, code: string, nocheck: boolean, name: string | undefined }[]}
 */
export function fencedTypeScript(lines, firstLine) {
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]);
    if (open === null) continue;
    const [, indent, fence, lang, rest] = open;
    const end = lines.findIndex((l, j) => j > i && l.trimStart().startsWith(fence) && l.trim().replaceAll(fence[0], "") === "");
    const close = end === -1 ? lines.length : end;
    if (TS_LANGS.has(lang.toLowerCase())) {
      const body = lines.slice(i + 1, close).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()));
      const name = /(?:^|\s)file=(\S+)/.exec(rest)?.[1];
      blocks.push({ line: firstLine + i + 1, code: body.join("\n"), nocheck: /(?:^|\s)nocheck(?:\s|$)/.test(rest), name });
    }
    i = close;
  }
  return blocks;
}

/**
 * Snippets in a Markdown file.
 * @param {string} text
 * @param {string} file
 * @returns {Snippet[]}
 */
export function markdownSnippets(text, file) {
  return fencedTypeScript(text.split("\n"), 1).map((block) => ({ file, ...block }));
}

/**
 * Snippets in the `@example` tags of a TypeScript file's doc comments.
 * @param {string} text
 * @param {string} file
 * @returns {Snippet[]}
 */
export function exampleSnippets(text, file) {
  const snippets = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\/\*\*/.test(lines[i])) continue;
    let end = i;
    while (end < lines.length && !lines[end].includes("*/")) end++;
    // The comment's lines without their ` * ` gutter, keeping code indentation.
    const body = lines.slice(i, end + 1).map((l) =>
      l
        .replace(/^\s*\/\*\*\s?/, "")
        .replace(/\s*\*\/\s*$/, "")
        .replace(/^\s*\* ?/, ""),
    );
    for (let k = 0; k < body.length; k++) {
      if (!/^\s*@example\b/.test(body[k])) continue;
      let stop = k + 1;
      while (stop < body.length && !/^\s*@\w+/.test(body[stop])) stop++;
      for (const block of fencedTypeScript(body.slice(k + 1, stop), i + k + 2)) snippets.push({ file, ...block });
      k = stop - 1;
    }
    i = end;
  }
  return snippets;
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/**
 * Every snippet of the package in `pkgDir`, README first, then docs, then sources.
 * @param {string} pkgDir
 * @returns {Snippet[]}
 */
export function packageSnippets(pkgDir) {
  const snippets = [];
  const markdown = [join(pkgDir, "README.md")];
  const docs = join(pkgDir, "docs");
  if (existsSync(docs))
    markdown.push(
      ...walk(docs)
        .filter((f) => f.endsWith(".md"))
        .sort(),
    );
  for (const path of markdown) {
    if (existsSync(path)) snippets.push(...markdownSnippets(readFileSync(path, "utf8"), relative(pkgDir, path)));
  }
  const src = join(pkgDir, "src");
  if (existsSync(src)) {
    for (const path of walk(src)
      .filter((f) => /\.(m?ts|tsx)$/.test(f) && !f.endsWith(".d.ts"))
      .sort()) {
      snippets.push(...exampleSnippets(readFileSync(path, "utf8"), relative(pkgDir, path)));
    }
  }
  return snippets;
}
