/**
 * The layers of src/ (README, "Layout"): each folder may import only from the
 * folders listed before it, so QUIC can take primitives/ and protocol/ without
 * the worker pools or TLS. Checked on the import specifiers of every source
 * file, type-only imports included, since a type import still ties the layers.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

/** Each layer and the layers it may import (itself always allowed). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  primitives: [],
  // tls/errors.ts, which every TLS layer imports; it names alerts from wire/constants.ts (no imports).
  tls: ["primitives", "tls/wire"],
  protocol: ["primitives"],
  bulk: ["primitives"],
  "tls/wire": ["tls", "primitives"],
  "tls/pki": ["tls", "tls/wire", "primitives", "protocol"],
  "tls/handshake": ["tls", "tls/wire", "tls/pki", "primitives", "protocol"],
  "tls/record": ["tls", "tls/wire", "tls/handshake", "primitives", "protocol"],
  "tls/stream": ["tls", "tls/wire", "tls/pki", "tls/handshake", "tls/record", "primitives", "protocol"],
};
const LAYERS = Object.keys(ALLOWED).sort((a, b) => b.length - a.length);

/** The entry points re-export every layer, so they are not checked. */
const ENTRIES = new Set(["index.ts", "tls/index.ts"]);

/** The layer of a src-relative folder: the longest layer that contains it, "" for src/ itself. */
function layerOf(folder: string): string {
  return LAYERS.find((layer) => folder === layer || folder.startsWith(`${layer}/`)) ?? "";
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

/** Relative specifiers of import/export statements, outside comments (doc examples are not edges). */
function importedPaths(file: string): string[] {
  const code = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const from = posix.dirname(relative(SRC, file).split("\\").join("/"));
  return [...code.matchAll(/\b(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => posix.join(from, m[1] as string));
}

describe("src layout", () => {
  it("finds every layer folder", () => {
    const found = new Set(sources(SRC).map((file) => layerOf(relative(SRC, dirname(file)).split("\\").join("/"))));
    for (const layer of LAYERS) expect(found).toContain(layer);
  });

  it("each layer imports only the layers before it", () => {
    const violations: string[] = [];
    for (const file of sources(SRC)) {
      const path = relative(SRC, file).split("\\").join("/");
      if (ENTRIES.has(path)) continue;
      const layer = layerOf(posix.dirname(path));
      const allowed = ALLOWED[layer] ?? [];
      for (const target of importedPaths(file)) {
        const to = layerOf(posix.dirname(target));
        if (to !== layer && !allowed.includes(to)) violations.push(`${path} (${layer}) imports ${target} (${to || "src"})`);
      }
    }
    expect(violations).toEqual([]);
  });
});
