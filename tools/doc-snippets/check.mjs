#!/usr/bin/env node
// Typechecks the TypeScript snippets a package documents itself with (README,
// docs/*.md, `@example` blocks in src/), so that an example that no longer
// compiles fails the package's tests instead of misleading its readers.
//
// Each snippet becomes its own module in <package>/.cache/doc-snippets/ (git-
// ignored) and the repository's tsc checks them with the repository's strict
// settings. Imports resolve as they would for a user of the package inside
// the workspace: `@zsync/*` through each package's `exports` to its built
// `dist/` (build first), the package itself through self-reference. Errors
// are reported at the snippet's line in the README or source file.
//
// A snippet that is deliberately not compilable is marked ```ts nocheck; such
// marks are listed in the summary and should stay rare.
//
// Usage: node tools/doc-snippets/check.mjs [package-dir ...]   (default: the current directory)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { packageSnippets } from "./extract.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const HEADER_LINES = 1;

function findTsc(pkgDir) {
  for (const dir of [pkgDir, root]) {
    const bin = join(dir, "node_modules", ".bin", process.platform === "win32" ? "tsc.cmd" : "tsc");
    if (existsSync(bin)) return bin;
  }
  throw new Error("doc-snippets: no tsc found; install the workspace's dependencies first");
}

/**
 * A relative import in a snippet means what it means next to the file the
 * snippet is in (an `@example` in src/demo.ts importing "./demo.js"), unless
 * it names another snippet (```ts file=tasks.ts). Rewrites such specifiers to
 * reach the same file from the output directory.
 */
function rebaseRelativeImports(code, sourceDir, outDir, named) {
  return code.replace(/(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}\/[^"']+)\2/g, (whole, lead, quote, specifier) => {
    if (named.has(specifier.replace(/^\.\//, "").replace(/\.(m?)js$/, ".$1ts"))) return whole;
    const target = resolve(sourceDir, specifier);
    const candidates = [target, target.replace(/\.(m?)js$/, ".$1ts"), target.replace(/\.js$/, ".tsx")];
    if (!candidates.some((candidate) => existsSync(candidate))) return whole;
    let rebased = relative(outDir, target).split("\\").join("/");
    if (!rebased.startsWith(".")) rebased = `./${rebased}`;
    return `${lead}${quote}${rebased}${quote}`;
  });
}

/** Runs tsc on the project in `outDir`; its diagnostics, mapped to the snippets' sources. */
function runTsc(pkgDir, outDir, name, byFile) {
  const result = spawnSync(findTsc(pkgDir), ["-p", join(outDir, "tsconfig.json"), "--pretty", "false"], { encoding: "utf8" });
  if (result.error) throw result.error;
  const failures = [];
  let current;
  for (const line of `${result.stdout}${result.stderr}`.split("\n")) {
    const match = /^(.*?)\((\d+),(\d+)\): (error|warning) (TS\d+): (.*)$/.exec(line.trim());
    if (match !== null) {
      const file = match[1].split(/[\\/]/).pop();
      const snippet = byFile.get(file);
      const at = snippet
        ? `${snippet.file}:${snippet.line + Number(match[2]) - 1 - HEADER_LINES}:${match[3]}`
        : `${match[1]}:${match[2]}:${match[3]}`;
      current = { at, code: match[5], message: match[6], snippet, file: snippet ? file : undefined };
      failures.push(current);
    } else if (current !== undefined && line.startsWith(" ")) {
      current.message += `\n${line}`;
    } else if (line.trim() !== "") {
      current = undefined;
      failures.push({ at: name, code: "tsc", message: line.trim(), snippet: undefined, file: undefined });
    }
  }
  if (result.status !== 0 && failures.length === 0) failures.push({ at: name, code: "tsc", message: `tsc exited with ${result.status}` });
  return failures;
}

/**
 * Writes the snippets of `pkgDir` as modules, typechecks them, and returns
 * what was found. Does not print.
 */
export function checkPackage(pkgDir) {
  const name = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).name;
  const snippets = packageSnippets(pkgDir);
  const checked = snippets.filter((s) => !s.nocheck);
  const skipped = snippets.filter((s) => s.nocheck);
  const outDir = join(pkgDir, ".cache", "doc-snippets");
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const byFile = new Map();
  const named = new Set(checked.map((s) => s.name).filter(Boolean));
  const files = checked.map((snippet, i) => {
    const file = snippet.name ?? `snippet-${String(i + 1).padStart(3, "0")}.ts`;
    if (byFile.has(file)) throw new Error(`doc-snippets: two snippets of ${name} are named ${file} (${snippet.file}:${snippet.line})`);
    byFile.set(file, snippet);
    // `export {}` keeps every snippet a module of its own (top-level await, no shared names).
    const code = rebaseRelativeImports(snippet.code, join(pkgDir, dirname(snippet.file)), outDir, named);
    writeFileSync(join(outDir, file), `// ${snippet.file}:${snippet.line}\n${code}\nexport {};\n`);
    return file;
  });
  const hasNodeTypes = existsSync(join(pkgDir, "node_modules", "@types", "node"));
  const tsconfig = {
    extends: relative(outDir, join(root, "tsconfig.base.json")),
    compilerOptions: {
      noEmit: true,
      declaration: false,
      declarationMap: false,
      sourceMap: false,
      // An @example importing its own module ("./connection.js") compiles that
      // module, and src/ may import plain JavaScript (sqlite's worker/protocol.js):
      // let tsc infer its types, as the package's own tsconfig does (not checkJs:
      // the package's typecheck covers the JavaScript itself).
      allowJs: true,
      types: hasNodeTypes ? ["node"] : [],
    },
  };
  const failures = [];
  // tsc stops at syntax errors without checking types anywhere, so a snippet
  // that does not parse is reported and left out, and the rest is checked again.
  let remaining = files;
  while (remaining.length > 0) {
    writeFileSync(join(outDir, "tsconfig.json"), `${JSON.stringify({ ...tsconfig, files: remaining }, null, 2)}\n`);
    const found = runTsc(pkgDir, outDir, name, byFile);
    failures.push(...found);
    const unparsable = new Set(found.filter((f) => /^TS1\d{3}$/.test(f.code) && f.file !== undefined).map((f) => f.file));
    if (unparsable.size === 0) break;
    remaining = remaining.filter((file) => !unparsable.has(file));
  }
  return { name, checked: checked.length, skipped, failures };
}

function main() {
  const dirs = process.argv.slice(2);
  let status = 0;
  for (const dir of dirs.length > 0 ? dirs : ["."]) {
    const pkgDir = resolve(dir);
    const { name, checked, skipped, failures } = checkPackage(pkgDir);
    const failing = new Set(failures.map((f) => f.snippet).filter(Boolean)).size;
    for (const failure of failures)
      console.error(`${relative(process.cwd(), join(pkgDir, failure.at))} ${failure.code}: ${failure.message}`);
    for (const snippet of skipped) console.log(`  nocheck: ${snippet.file}:${snippet.line}`);
    console.log(
      `doc-snippets ${name}: ${checked} checked, ${skipped.length} marked nocheck, ${failing} failing (${failures.length} errors)`,
    );
    if (failures.length > 0) status = 1;
  }
  process.exit(status);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
