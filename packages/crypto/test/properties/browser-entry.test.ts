/**
 * Property: a browser bundle of `@zsync/crypto` can include the node provider.
 * The package's main entry, as compiled, reaches no Node builtin through a
 * static import, in its own modules or in those of `@zsync/runtime` it
 * imports (a bundler would have to resolve those at build time); node:crypto
 * is looked up at run time through `process.getBuiltinModule`, so where that
 * does not exist the node provider is simply absent.
 *
 * The import graph is read from `dist/` (built by the global setup), where
 * type-only imports are already erased, so what is left is what a bundler
 * sees. `@noble/*` are the pure-TypeScript libraries the noble provider is
 * for; their own imports are theirs.
 */
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, test } from "vitest";
import { createNodeProvider } from "../../src/index.js";

const PACKAGE = fileURLToPath(new URL("../..", import.meta.url));
const RUNTIME = join(PACKAGE, "..", "runtime");

/** Static import and re-export specifiers of compiled ES module source (comments removed first: @example blocks hold imports). */
function staticSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(/(?:^|[;\n])\s*(?:import|export)\s+(?:[^;'"]*?\s+from\s*)?["']([^"']+)["']/g)) out.push(m[1] as string);
  return out;
}

function entryOf(specifier: string): string | undefined {
  if (specifier === "@zsync/runtime") return join(RUNTIME, "dist", "index.js");
  return undefined;
}

/** Every module reachable from `entry` through static imports, with the bare specifiers each one imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    const bare: string[] = [];
    seen.set(file, bare);
    for (const specifier of staticSpecifiers(readFileSync(file, "utf8"))) {
      if (specifier.startsWith(".")) queue.push(resolve(dirname(file), specifier));
      else {
        bare.push(specifier);
        const workspace = entryOf(specifier);
        if (workspace !== undefined) queue.push(workspace);
      }
    }
  }
  return seen;
}

const isNodeBuiltin = (specifier: string): boolean =>
  specifier.startsWith("node:") || builtinModules.includes(specifier.split("/")[0] as string);

describe("the main entry in a browser bundle", () => {
  const graph = reachable(join(PACKAGE, "dist", "index.js"));

  test("the scanner sees static imports and ignores type-only ones and comments (the control)", () => {
    expect(staticSpecifiers('import { a } from "node:crypto";\nexport * from "./x.js";\nimport "y";')).toEqual([
      "node:crypto",
      "./x.js",
      "y",
    ]);
    expect(staticSpecifiers('/**\n * import { a } from "node:fs";\n */\nconst s = "x";')).toEqual([]);
    expect(staticSpecifiers('import {\n  a,\n  b,\n} from "node:net";')).toEqual(["node:net"]);
    // The node provider and the runtime are in the graph, so the check below covers them.
    const files = [...graph.keys()].map((f) => f.slice(f.indexOf("packages")));
    expect(files).toContain(join("packages", "crypto", "dist", "primitives", "providers", "node.js"));
    expect(files.some((f) => f.startsWith(join("packages", "runtime")))).toBe(true);
  });

  test("no module reachable from it imports a Node builtin statically", () => {
    const offending = [...graph].flatMap(([file, bare]) => bare.filter(isNodeBuiltin).map((s) => `${file}: ${s}`));
    expect(offending).toEqual([]);
  });

  test("its bare imports are @noble/* and @zsync/runtime only", () => {
    const bare = new Set([...graph.values()].flat());
    expect([...bare].filter((s) => !s.startsWith("@noble/") && s !== "@zsync/runtime")).toEqual([]);
  });

  test("the node provider finds node:crypto through process.getBuiltinModule", () => {
    const source = readFileSync(join(PACKAGE, "dist", "primitives", "providers", "node.js"), "utf8");
    expect(source).toMatch(/getBuiltinModule\?\.\("node:crypto"\)/);
  });
});

describe("without process.getBuiltinModule (a browser)", () => {
  const original = process.getBuiltinModule;
  afterEach(() => {
    process.getBuiltinModule = original;
  });

  test("createNodeProvider returns undefined instead of failing", () => {
    expect(createNodeProvider()?.name).toBe("node");
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
    expect(createNodeProvider()).toBeUndefined();
  });
});
