// node --test tools/checks/stale-build-output.test.mjs
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { cleanOutDirs } from "../build/clean-out-dir.mjs";
import { compilerDirs } from "../build/tsconfig-dirs.mjs";
import { sourceCandidates, staleInPackage } from "./stale-build-output.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "stale-build-output-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let fixtures = 0;
/** A package laid out like ours: tsconfig.build.json extends tsconfig.json, which sets outDir; rootDir is src. */
function fixture(files) {
  const dir = join(scratch, `pkg-${fixtures++}`);
  const all = {
    "package.json": JSON.stringify({ name: "@fixture/pkg", type: "module" }),
    "tsconfig.json": JSON.stringify({
      compilerOptions: { outDir: "dist", module: "NodeNext", declaration: true, declarationMap: true, sourceMap: true, types: [] },
    }),
    "tsconfig.build.json": JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { rootDir: "src" }, include: ["src"] }),
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function emitted(stem) {
  return Object.fromEntries([".js", ".js.map", ".d.ts", ".d.ts.map"].map((suffix) => [`dist/${stem}${suffix}`, ""]));
}

test("maps each kind of compiled file to the sources it can come from", () => {
  assert.deepEqual(sourceCandidates("a/b.js"), ["a/b.ts", "a/b.tsx", "a/b.js", "a/b.jsx"]);
  assert.deepEqual(sourceCandidates("a/b.d.ts.map"), ["a/b.ts", "a/b.tsx", "a/b.js", "a/b.jsx"]);
  assert.deepEqual(sourceCandidates("b.mjs"), ["b.mts", "b.mjs"]);
  assert.deepEqual(sourceCandidates("b.d.cts"), ["b.cts", "b.cjs"]);
  assert.deepEqual(sourceCandidates("data.json"), ["data.json"]);
  assert.equal(sourceCandidates("README.md"), undefined);
});

test("reads outDir and rootDir through extends, each relative to the config that sets it", () => {
  const dir = fixture({});
  assert.deepEqual(compilerDirs(join(dir, "tsconfig.build.json")), { outDir: join(dir, "dist"), rootDir: join(dir, "src") });
  const real = compilerDirs(join(root, "packages", "crypto", "tsconfig.bench.json"));
  assert.deepEqual(real, { outDir: join(root, "packages", "crypto", ".bench-dist"), rootDir: join(root, "packages", "crypto") });
});

test("a module moved to a new folder leaves stale output that the check names", () => {
  const dir = fixture({
    "src/tls/handshake/client.ts": "export {};",
    ...emitted("tls/handshake/client"),
    "dist/notes.txt": "not compiler output",
  });
  assert.deepEqual(staleInPackage(dir), []);
  writeFileSync(join(dir, "dist", "tls", "client.js"), "");
  writeFileSync(join(dir, "dist", "tls", "client.d.ts"), "");
  assert.deepEqual(staleInPackage(dir), [join(dir, "dist/tls/client.d.ts"), join(dir, "dist/tls/client.js")]);
});

test("the command fails on a planted stale file and passes once it is gone", () => {
  const dir = fixture({ "src/index.ts": "export {};", ...emitted("index"), "dist/old.js": "" });
  const script = join(here, "stale-build-output.mjs");
  const failing = spawnSync(process.execPath, [script, dir], { encoding: "utf8" });
  assert.equal(failing.status, 1);
  assert.match(failing.stderr, /@fixture\/pkg has 1 compiled file\(s\) with no source module/);
  assert.match(failing.stderr, /dist\/old\.js/);
  rmSync(join(dir, "dist", "old.js"));
  const passing = spawnSync(process.execPath, [script, dir], { encoding: "utf8" });
  assert.equal(passing.status, 0, passing.stderr);
});

test("clean-out-dir empties the outDir the config names, and only that", () => {
  const dir = fixture({ "src/index.ts": "export {};", ...emitted("index"), "dist/old.js": "" });
  assert.deepEqual(cleanOutDirs(["tsconfig.build.json"], dir), [join(dir, "dist")]);
  assert.equal(existsSync(join(dir, "dist")), false);
  assert.equal(existsSync(join(dir, "src", "index.ts")), true);
  assert.deepEqual(cleanOutDirs(["tsconfig.build.json"], dir), [join(dir, "dist")], "a missing outDir is not an error");
});

test("clean-out-dir refuses an outDir that is the package itself or outside it, deleting nothing", () => {
  for (const outDir of [".", "..", "../sibling"]) {
    const dir = fixture({
      "src/index.ts": "export {};",
      ...emitted("index"),
      "tsconfig.odd.json": JSON.stringify({ compilerOptions: { outDir } }),
    });
    mkdirSync(join(dir, "..", "sibling"), { recursive: true });
    assert.throws(() => cleanOutDirs(["tsconfig.build.json", "tsconfig.odd.json"], dir), /refusing to delete/);
    assert.equal(existsSync(join(dir, "src", "index.ts")), true);
    assert.equal(existsSync(join(dir, "dist", "index.js")), true, "the valid config listed first is not cleaned either");
    assert.equal(existsSync(join(dir, "..", "sibling")), true);
  }
  const bare = fixture({ "tsconfig.bare.json": "{}" });
  assert.throws(() => cleanOutDirs(["tsconfig.bare.json"], bare), /no compilerOptions.outDir/);
  assert.throws(() => cleanOutDirs([], bare), /usage/);
});

test("with tsc: a rebuild after a move keeps the old output unless clean-out-dir ran first", () => {
  const tsc = join(dirname(createRequire(join(root, "package.json")).resolve("typescript/package.json")), "bin", "tsc");
  const dir = fixture({ "src/tls/client.ts": "export const side = 'client';\n" });
  const build = () => {
    const result = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: dir, encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  };
  build();
  rmSync(join(dir, "src", "tls", "client.ts"));
  mkdirSync(join(dir, "src", "tls", "handshake"));
  writeFileSync(join(dir, "src", "tls", "handshake", "client.ts"), "export const side = 'client';\n");
  build();
  assert.equal(staleInPackage(dir).length, 4, "tsc alone leaves dist/tls/client.{js,d.ts} and their maps");
  cleanOutDirs(["tsconfig.build.json"], dir);
  build();
  assert.deepEqual(staleInPackage(dir), []);
  assert.equal(existsSync(join(dir, "dist", "tls", "handshake", "client.js")), true);
});
