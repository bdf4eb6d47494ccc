#!/usr/bin/env node
// The README's commands (`npm test`, `npm run demo`, `npm run bench`) land here.
// They must work on a machine that has only Node and npm, so this script
// provisions the pinned pnpm and the workspace's dependencies on demand, and is
// a fast no-op for that part when both are already in place.
//
// Why not corepack: it is not shipped with every Node build and needs a network
// call on first use that some machines refuse. Why not `npm i -g pnpm`: it
// changes the machine outside the project.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const pnpmVersion = manifest.packageManager.replace(/^pnpm@/, "");

function fail(message) {
  console.error(`zsync-ts: ${message}`);
  process.exit(1);
}

function checkNode() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    fail(`Node >= 20.19 is required; this is ${process.version}`);
  }
}

function cacheDir() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "zsync-ts");
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: "inherit", cwd: root, ...options });
  if (result.error) fail(`${command} failed to start: ${result.error.message}`);
  return result.status ?? 1;
}

/** Returns a directory holding a `pnpm` launcher for the pinned version. */
function ensurePnpm(env) {
  const probe = spawnSync("pnpm", ["--version"], { encoding: "utf8", env });
  if (probe.status === 0 && probe.stdout.trim() === pnpmVersion) return null;

  const prefix = join(cacheDir(), `pnpm-${pnpmVersion}`);
  const entry = join(prefix, "node_modules", "pnpm", "bin", "pnpm.mjs");
  if (!existsSync(entry)) {
    console.log(`zsync-ts: installing pnpm ${pnpmVersion} into ${prefix}`);
    mkdirSync(prefix, { recursive: true });
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const status = run(
      npm,
      [
        "install",
        "--prefix",
        prefix,
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        `pnpm@${pnpmVersion}`,
      ],
      { env },
    );
    if (status !== 0 || !existsSync(entry)) fail("could not install pnpm from the npm registry");
  }
  const bin = join(prefix, "bin");
  mkdirSync(bin, { recursive: true });
  const launcher = join(bin, "pnpm");
  const script = `#!/bin/sh\nexec "${process.execPath}" "${entry}" "$@"\n`;
  if (!existsSync(launcher) || readFileSync(launcher, "utf8") !== script) {
    writeFileSync(launcher, script);
    chmodSync(launcher, 0o755);
  }
  return bin;
}

/** The prefix holding `include/node` for the running Node, which node-gyp needs. */
function nodeDir() {
  const prefix = resolve(dirname(process.execPath), "..");
  return existsSync(join(prefix, "include", "node", "node.h")) ? prefix : undefined;
}

function workspaceFingerprint() {
  const hash = createHash("sha256");
  const lock = join(root, "pnpm-lock.yaml");
  if (existsSync(lock)) hash.update(readFileSync(lock));
  hash.update(readFileSync(join(root, "pnpm-workspace.yaml")));
  hash.update(readFileSync(join(root, "package.json")));
  for (const group of ["packages", "apps", "tools"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const pkg = join(dir, name, "package.json");
      if (existsSync(pkg)) hash.update(readFileSync(pkg));
    }
  }
  return hash.digest("hex");
}

/** Installs dependencies when the lockfile or manifests changed, and rebuilds
 *  native addons when the Node ABI changed (e.g. the Node 24 CI pass). */
function ensureDependencies(env) {
  const stampFile = join(root, "node_modules", ".zsync-install.json");
  const stamp = existsSync(stampFile) ? JSON.parse(readFileSync(stampFile, "utf8")) : {};
  const fingerprint = workspaceFingerprint();
  const abi = `${process.platform}-${process.arch}-${process.versions.modules}`;
  if (stamp.fingerprint === fingerprint && stamp.abi === abi) return;

  if (stamp.fingerprint !== fingerprint) {
    const frozen = existsSync(join(root, "pnpm-lock.yaml")) ? ["--frozen-lockfile"] : [];
    if (run("pnpm", ["install", ...frozen], { env }) !== 0) fail("pnpm install failed");
  } else {
    // Same dependency tree, different Node ABI: only native addons need work.
    if (run("pnpm", ["rebuild", "better-sqlite3"], { env }) !== 0) fail("pnpm rebuild failed");
  }
  writeFileSync(stampFile, JSON.stringify({ fingerprint: workspaceFingerprint(), abi }, null, 2));
}

/** Repository-wide checks the test command enforces before the suites:
 *  lint and formatting (Biome), and no runtime import cycle in any package.
 *  Each runs even when an earlier one failed, so one run reports everything. */
function runChecks(env) {
  const checks = [
    ["lint (biome check)", "pnpm", ["exec", "biome", "check", "."]],
    [
      "checks self-test",
      process.execPath,
      [
        "--test",
        join(root, "tools", "checks", "import-cycles.test.mjs"),
        join(root, "tools", "checks", "stale-build-output.test.mjs"),
        join(root, "tools", "test-support", "error-brands.test.mjs"),
        join(root, "tools", "stryker", "mutation-gate.test.mjs"),
      ],
    ],
    ["import cycles", process.execPath, [join(root, "tools", "checks", "import-cycles.mjs")]],
  ];
  let status = 0;
  for (const [name, command, args] of checks) {
    console.log(`zsync-ts: ${name}`);
    if (run(command, args, { env }) !== 0) {
      console.error(`zsync-ts: ${name} failed`);
      status = 1;
    }
  }
  return status;
}

function main() {
  checkNode();
  const task = process.argv[2];
  const rest = process.argv.slice(3);
  const tasks = {
    test: ["turbo", "run", "typecheck", "test", "--output-logs=full", "--concurrency=1", "--continue", ...rest],
    bench: ["turbo", "run", "bench", "--output-logs=full", "--concurrency=1", ...rest],
    demo: ["turbo", "run", "build", "--filter=@zsync/demo...", "--output-logs=errors-only"],
    // CI's short mutation run: Stryker on the critical modules changed since
    // their committed incremental results (tools/stryker/mutation-gate.mjs).
    "mutate-changed": ["turbo", "run", "build", "--output-logs=errors-only"],
  };
  if (!(task in tasks)) fail(`usage: node tools/run.mjs <${Object.keys(tasks).join("|")}>`);

  const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" };
  // Children (turbo, pnpm scripts, node-gyp) must use this very Node.
  env.PATH = [dirname(process.execPath), env.PATH].join(delimiter);
  const dir = nodeDir();
  if (dir) env.npm_config_nodedir = dir;
  const pnpmBin = ensurePnpm(env);
  if (pnpmBin) env.PATH = [pnpmBin, env.PATH].join(delimiter);
  ensureDependencies(env);

  let status = 0;
  if (task === "test") status = runChecks(env);
  status = run("pnpm", ["exec", ...tasks[task]], { env }) || status;
  if (task === "test") {
    // After the build: the published declarations must match their reviewed snapshots.
    console.log("zsync-ts: public API snapshots");
    status = run(process.execPath, [join(root, "tools", "checks", "public-api.mjs")], { env }) || status;
    // After the build too: no compiled file in a dist/ whose source module is gone
    // (a build empties dist/ first, but a turbo cache hit only adds to it).
    console.log("zsync-ts: stale build output");
    status = run(process.execPath, [join(root, "tools", "checks", "stale-build-output.mjs")], { env }) || status;
  }
  if (status === 0 && task === "mutate-changed") {
    status = run(process.execPath, [join(root, "tools", "stryker", "mutation-gate.mjs"), ...rest], { env });
  }
  if (status === 0 && task === "demo") {
    status = run(process.execPath, [join(root, "apps", "demo", "dist", "main.js"), ...rest], { env });
  }
  process.exit(status);
}

main();
