#!/usr/bin/env node
// Empties a tsconfig's outDir before `tsc` writes it. `tsc` only ever adds
// and overwrites: a module that was moved or deleted keeps its old .js and
// .d.ts in the output, where a deep import still finds it and `npm publish`
// ships it. `tsc -b --clean` does not help: it deletes the outputs of the
// modules the config compiles today, which leaves exactly the stale ones
// (checked with tsc 7.0.2 on a non-composite config: after deleting src/b.ts,
// `tsc -b --clean` removed a.js and a.d.ts and kept b.js and b.d.ts).
//
// Usage (a package's "build" script): node ../../tools/build/clean-out-dir.mjs tsconfig.build.json && tsc -p tsconfig.build.json
//
// The outDir is read from the config (following "extends"), so it is named in
// one place. For safety it must lie strictly inside the directory the script
// runs in (the package): a config that points outDir at the package itself, a
// parent or a sibling is refused rather than deleted.
import { rmSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { compilerDirs } from "./tsconfig-dirs.mjs";

/**
 * Removes the outDir of each config in `configs` (paths relative to `cwd`)
 * and returns the directories removed. Throws, removing nothing, when a
 * config has no outDir or one outside `cwd`.
 *
 * @example
 *   cleanOutDirs(["tsconfig.build.json"], "packages/crypto"); // ["/.../packages/crypto/dist"]
 */
export function cleanOutDirs(configs, cwd = process.cwd()) {
  if (configs.length === 0) throw new Error("usage: clean-out-dir.mjs <tsconfig.json> [...]");
  const base = resolve(cwd);
  const targets = configs.map((config) => {
    const { outDir } = compilerDirs(resolve(base, config));
    if (outDir === undefined) throw new Error(`${config}: no compilerOptions.outDir to clean`);
    const inside = relative(base, outDir);
    if (inside === "" || inside.startsWith("..") || isAbsolute(inside)) {
      throw new Error(`${config}: outDir ${outDir} is not inside ${base}; refusing to delete it`);
    }
    return outDir;
  });
  for (const outDir of targets) rmSync(outDir, { recursive: true, force: true });
  return targets;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  try {
    cleanOutDirs(process.argv.slice(2));
  } catch (error) {
    console.error(`clean-out-dir: ${error.message}`);
    process.exit(1);
  }
}
