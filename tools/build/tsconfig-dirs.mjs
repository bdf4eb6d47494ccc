// Reads where a tsconfig compiles from and to, so the scripts that clean or
// check build output take the directories from the same file `tsc` reads
// instead of repeating them in package.json.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";

/**
 * The `outDir` and `rootDir` of a tsconfig, as absolute paths, following its
 * `extends` chain (relative paths only: the repository's configs extend each
 * other and tsconfig.base.json, never a package). Each path is resolved
 * against the config that sets it, as `tsc` does. A directory no config sets
 * is `undefined`.
 *
 * @example
 *   const { outDir, rootDir } = compilerDirs("packages/crypto/tsconfig.build.json");
 */
export function compilerDirs(configPath) {
  const dirs = { outDir: undefined, rootDir: undefined };
  const seen = new Set();
  let path = resolve(configPath);
  while (path !== undefined) {
    if (seen.has(path)) throw new Error(`${configPath}: "extends" loops back to ${path}`);
    seen.add(path);
    if (!existsSync(path)) throw new Error(`${configPath}: ${path} does not exist`);
    let config;
    try {
      config = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw new Error(`${path}: not plain JSON (comments and trailing commas are not supported here)`, { cause: error });
    }
    const options = config.compilerOptions ?? {};
    for (const key of ["outDir", "rootDir"]) {
      if (dirs[key] === undefined && typeof options[key] === "string") dirs[key] = resolve(dirname(path), options[key]);
    }
    if (config.extends === undefined) break;
    if (typeof config.extends !== "string" || !config.extends.startsWith(".")) {
      throw new Error(`${path}: only a relative "extends" is supported, not ${JSON.stringify(config.extends)}`);
    }
    const next = resolve(dirname(path), config.extends);
    path = next.endsWith(".json") ? next : `${next}.json`;
  }
  return dirs;
}
