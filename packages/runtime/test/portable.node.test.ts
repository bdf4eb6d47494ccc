// The core entry point must run in browsers, Deno, Bun and workers: nothing
// outside src/node/ may import a Node built-in, in any form: static
// (`import x from "node:os"`, `import "os"`), re-export, dynamic `import()`,
// `require()`, and type-only imports too (they would make the core's
// declarations need @types/node). Feature-detected lookups through
// `process.getBuiltinModule(...)` are how the core reaches optional host
// features and are not imports.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const src = fileURLToPath(new URL("../src", import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const builtins = new Set(builtinModules);

/** Whether `specifier` names a Node built-in (`node:anything`, or a bare built-in name such as `os` or `fs/promises`). */
function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || builtins.has(specifier);
}

/** Every module specifier `source` imports, re-exports, `import()`s or `require()`s (comments ignored). */
function importedSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
  const patterns = [
    /\bfrom\s*["']([^"']+)["']/g, // import … from, export … from, import type … from
    /\bimport\s*["']([^"']+)["']/g, // side-effect import
    /\bimport\s*\(\s*["']([^"']+)["']/g, // dynamic import
    /\brequire\s*\(\s*["']([^"']+)["']/g,
  ];
  return patterns.flatMap((pattern) => [...code.matchAll(pattern)].map((match) => match[1] as string));
}

describe("portable core", () => {
  it("imports no Node built-in outside src/node", () => {
    const offenders = files(src)
      .filter((f) => f.endsWith(".ts") && !relative(src, f).startsWith("node"))
      .flatMap((f) =>
        importedSpecifiers(readFileSync(f, "utf8"))
          .filter(isNodeBuiltin)
          .map((specifier) => `${relative(src, f)}: ${specifier}`),
      );
    expect(offenders).toEqual([]);
  });

  it("the scanner finds every form of import it is meant to refuse", () => {
    const forms = [
      'import { cpus } from "node:os";',
      "import os from 'os';",
      'import type { Worker } from "node:worker_threads";',
      'import "node:fs";',
      'export { createHash } from "node:crypto";',
      'const { join } = await import("node:path");',
      'const dgram = require("dgram");',
      'import { readFile } from "fs/promises";',
    ];
    for (const form of forms) expect(importedSpecifiers(form).filter(isNodeBuiltin), form).toHaveLength(1);
  });

  it("the scanner leaves portable code alone", () => {
    const allowed = [
      'import { Future } from "../future.js";',
      '// import { cpus } from "node:os";',
      '/** @example\n * import { sleep } from "node:timers/promises";\n */',
      'const hooks = process.getBuiltinModule?.("node:async_hooks");',
      'const url = "https://example.org"; import { x } from "./x.js";',
    ];
    for (const source of allowed) expect(importedSpecifiers(source).filter(isNodeBuiltin), source).toEqual([]);
  });
});
