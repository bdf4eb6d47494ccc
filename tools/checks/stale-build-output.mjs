#!/usr/bin/env node
// Fails when a package's build output holds a compiled file whose source
// module no longer exists. Such a file is left behind when a module is moved
// or deleted and the output directory was not emptied first (builds empty it,
// see tools/build/clean-out-dir.mjs, but turbo restoring a cached build adds
// its files to what is already there); it is published with `dist` and still
// loads through a deep import.
//
// Only what `tsc` emits is judged (.js/.mjs/.cjs, their declarations and
// source maps, and .json modules); other files are left alone.
//
// Usage: node tools/checks/stale-build-output.mjs [package-dir ...]
// (default: every packages/*, apps/* and tools/* with a tsconfig.build.json;
// the output and source directories are read from that config)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compilerDirs } from "../build/tsconfig-dirs.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

// Output suffix -> the source suffixes that compile to it.
const SOURCES = [
  [".d.mts", [".mts", ".mjs"]],
  [".d.cts", [".cts", ".cjs"]],
  [".d.ts", [".ts", ".tsx", ".js", ".jsx"]],
  [".mjs", [".mts", ".mjs"]],
  [".cjs", [".cts", ".cjs"]],
  [".js", [".ts", ".tsx", ".js", ".jsx"]],
  [".json", [".json"]],
];

/** The source paths (relative, without the root) a compiled file can come from; `undefined` when `tsc` does not emit such a file. */
export function sourceCandidates(outputPath) {
  const path = outputPath.endsWith(".map") ? outputPath.slice(0, -".map".length) : outputPath;
  for (const [suffix, sources] of SOURCES) {
    if (path.endsWith(suffix)) {
      const stem = path.slice(0, -suffix.length);
      return sources.map((source) => stem + source);
    }
  }
  return undefined;
}

function files(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files(path, out);
    else out.push(path);
  }
  return out;
}

/** The compiled files under `outDir` with no source module under `rootDir`, as absolute paths, sorted. */
export function staleOutputs(outDir, rootDir) {
  if (!existsSync(outDir)) return [];
  return files(outDir)
    .filter((file) => {
      const candidates = sourceCandidates(relative(outDir, file));
      return candidates !== undefined && !candidates.some((candidate) => existsSync(join(rootDir, candidate)));
    })
    .sort();
}

/** The stale files of one package directory, judged by its tsconfig.build.json. */
export function staleInPackage(pkgDir) {
  const { outDir, rootDir } = compilerDirs(join(pkgDir, "tsconfig.build.json"));
  if (outDir === undefined) return [];
  return staleOutputs(outDir, rootDir ?? pkgDir);
}

function packageDirs() {
  const dirs = [];
  for (const group of ["packages", "apps", "tools"]) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir).sort()) {
      const dir = join(groupDir, name);
      if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "tsconfig.build.json"))) dirs.push(dir);
    }
  }
  return dirs;
}

function main() {
  const dirs = process.argv.length > 2 ? process.argv.slice(2).map((dir) => resolve(dir)) : packageDirs();
  let failed = false;
  for (const dir of dirs) {
    const stale = staleInPackage(dir);
    if (stale.length === 0) continue;
    failed = true;
    const { name } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    console.error(`stale-build-output: ${name} has ${stale.length} compiled file(s) with no source module:`);
    for (const file of stale) console.error(`  ${relative(root, file)}`);
    console.error(`  Rebuild it from an empty output directory: pnpm turbo run build --force --filter=${name}`);
  }
  if (failed) process.exit(1);
  console.log(`stale-build-output: every compiled file of ${dirs.length} package(s) has its source module`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main();
