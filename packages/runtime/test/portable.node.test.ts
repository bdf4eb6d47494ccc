// The core entry point must run in browsers, Deno, Bun and workers: nothing
// outside src/node/ may import a Node built-in.
import { readdirSync, readFileSync, statSync } from "node:fs";
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

describe("portable core", () => {
  it("imports no node:* module outside src/node", () => {
    const offenders = files(src)
      .filter((f) => f.endsWith(".ts") && !relative(src, f).startsWith("node"))
      .filter((f) => /from\s+["'](node:|fs|path|os|worker_threads|net|dgram|crypto)["']|import\(\s*["']node:/.test(readFileSync(f, "utf8")))
      .map((f) => relative(src, f));
    expect(offenders).toEqual([]);
  });
});
