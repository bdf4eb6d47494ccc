// The error-brand contract every package's test/error-brand.test.ts checks
// (runtime/src/errors.ts, "Branding"): `instanceof` between error classes
// holds across two installed copies of a package, and only for the class
// itself and its own bases. Kept here, outside the packages, so that each
// package's tests can import it by relative path without a published
// dependency; types are in error-brands.d.mts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Compiles the package in `packageDir` as users get it (its tsconfig.build.json,
 * JavaScript only), installs the output twice as `name` under the package's
 * .cache/ (so both copies resolve the package's own node_modules), and imports
 * `entries` (paths inside dist/) from each copy, in order.
 */
export async function importTwoCopies(packageDir, name, entries) {
  const dir = join(packageDir, ".cache", `two-copies-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const built = join(dir, "built");
  const tsc = join(dirname(createRequire(join(root, "package.json")).resolve("typescript/package.json")), "bin", "tsc");
  const args = [
    "-p",
    "tsconfig.build.json",
    "--outDir",
    built,
    "--declaration",
    "false",
    "--declarationMap",
    "false",
    "--sourceMap",
    "false",
  ];
  const result = spawnSync(process.execPath, [tsc, ...args], { cwd: packageDir, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`tsc failed: ${result.stdout}${result.stderr}`);
  const load = async (copy) => {
    cpSync(built, join(dir, copy, "dist"), { recursive: true });
    writeFileSync(join(dir, copy, "package.json"), JSON.stringify({ name, type: "module" }));
    const modules = [];
    for (const entry of entries) modules.push(await import(pathToFileURL(join(dir, copy, "dist", entry)).href));
    return modules;
  };
  return { a: await load("a"), b: await load("b"), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Across two copies `a` and `b` of a module: each error `make(copy)` returns
 * (with the name of its class in that module) is an instance of the
 * same-named class of the other copy, both ways, of every class in
 * `bases(otherCopy)`, and of none of the other classes listed.
 */
export function assertBrandsAcrossCopies(a, b, make, bases = () => []) {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ]) {
    const theirs = make(to);
    for (const [error, name] of make(from)) {
      assert.equal(error instanceof to[name], true, `${name} into the other copy`);
      for (const base of bases(to)) assert.equal(error instanceof base, true, `${name} is a ${base.name}`);
      for (const [, other] of theirs) if (other !== name) assert.equal(error instanceof to[other], false, `${name} vs ${other}`);
    }
  }
}

/**
 * Within one copy of package `pkg`: each class in `classes` (listed with an
 * instance) carries its own brand, `Symbol.for("<pkg>:<ClassName>")`, so an
 * object whose prototype holds that brand and those of `foreignBases` (what
 * another copy's instance looks like to this one) is an instance of it and
 * of each of `foreignBases`. Each instance is one of every class in `bases`,
 * and of no listed class but its own and those of `parents` its prototype
 * chain really contains.
 */
export function assertBrandedClasses(pkg, classes, { bases = [], parents = [], foreignBases = [] } = {}) {
  const brandOf = (cls) => Symbol.for(`${pkg}:${cls.name}`);
  for (const [cls, error] of classes) {
    assert.equal(cls.prototype[brandOf(cls)], true, `${cls.name} carries ${brandOf(cls).description}`);
    const properties = { [brandOf(cls)]: { value: true } };
    for (const base of foreignBases) properties[brandOf(base)] = { value: true };
    const foreign = Object.create(Error.prototype, properties);
    for (const expected of [cls, ...foreignBases])
      assert.equal(foreign instanceof expected, true, `another copy's ${cls.name} is a ${expected.name}`);
    for (const base of bases) assert.equal(error instanceof base, true, `${cls.name} is a ${base.name}`);
    for (const [other] of classes) {
      const related = other === cls || (parents.includes(other) && Object.prototype.isPrototypeOf.call(other.prototype, error));
      assert.equal(error instanceof other, related, `${cls.name} vs ${other.name}`);
    }
  }
}
