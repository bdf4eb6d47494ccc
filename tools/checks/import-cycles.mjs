#!/usr/bin/env node
// Fails when a package's source modules import each other in a cycle.
//
// Type-only imports (`import type`, `export type`, and specifiers where every
// binding is `type`) are erased by the compiler and cannot create a load-order
// cycle, so they are left out; every other relative import counts, including
// side-effect imports and `export ... from`. Dynamic `import()` is ignored on
// purpose: it is how a module breaks a cycle deliberately.
//
// Usage: node tools/checks/import-cycles.mjs [package-dir ...]
// (default: every packages/*, apps/* and tools/bench with a src/ folder)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

function sourceFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

// Matches `import ... from "x"`, `import "x"` and `export ... from "x"` statements, possibly spanning lines.
const STATEMENT = /^\s*(import|export)\s+([^;"']*?)\s*(?:from\s*)?["']([^"']+)["']/gm;

/** Returns the runtime (non type-only) relative specifiers a module imports. */
export function runtimeImports(text) {
  const found = [];
  for (const match of text.matchAll(STATEMENT)) {
    const [, keyword, clause, specifier] = match;
    if (!specifier.startsWith(".")) continue;
    if (/^type\b/.test(clause)) continue;
    if (keyword === "export" && !/^(\*|\{)/.test(clause)) continue; // `export const x = "..."` is not a re-export
    const braces = clause.match(/\{([^}]*)\}/);
    if (braces && !/^\s*\*/.test(clause)) {
      const outside = clause
        .replace(/\{[^}]*\}/, "")
        .replace(/,/g, "")
        .trim();
      const names = braces[1]
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      if (!outside && names.length > 0 && names.every((n) => n.startsWith("type "))) continue;
    }
    found.push(specifier);
  }
  return found;
}

function resolveSpecifier(from, specifier) {
  const base = resolve(dirname(from), specifier);
  const candidates = [base, base.replace(/\.js$/, ".ts"), base.replace(/\.mjs$/, ".mts"), `${base}.ts`, join(base, "index.ts")];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

/** Strongly connected components with more than one module, or a module importing itself. */
export function findCycles(graph) {
  let index = 0;
  const stack = [];
  const meta = new Map();
  const cycles = [];
  const visit = (node) => {
    meta.set(node, { index, low: index, onStack: true });
    index++;
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!meta.has(next)) {
        visit(next);
        meta.get(node).low = Math.min(meta.get(node).low, meta.get(next).low);
      } else if (meta.get(next).onStack) {
        meta.get(node).low = Math.min(meta.get(node).low, meta.get(next).index);
      }
    }
    if (meta.get(node).low === meta.get(node).index) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        meta.get(member).onStack = false;
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.reverse());
    }
  };
  for (const node of graph.keys()) if (!meta.has(node)) visit(node);
  return cycles;
}

function packageDirs() {
  const dirs = [];
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(join(root, group))) dirs.push(join(root, group, name));
  }
  dirs.push(join(root, "tools", "bench"));
  return dirs.filter((d) => existsSync(join(d, "src")));
}

function main() {
  const dirs = process.argv.length > 2 ? process.argv.slice(2).map((d) => resolve(d)) : packageDirs();
  let failed = false;
  for (const dir of dirs) {
    const graph = new Map();
    for (const file of sourceFiles(join(dir, "src"))) {
      const targets = runtimeImports(readFileSync(file, "utf8"))
        .map((s) => resolveSpecifier(file, s))
        .filter(Boolean);
      graph.set(file, targets);
    }
    for (const cycle of findCycles(graph)) {
      failed = true;
      const names = cycle.map((f) => relative(root, f));
      console.error(`import cycle: ${[...names, names[0]].join(" -> ")}`);
    }
  }
  if (failed) process.exit(1);
  console.log(`import-cycles: no runtime import cycle in ${dirs.length} packages`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
