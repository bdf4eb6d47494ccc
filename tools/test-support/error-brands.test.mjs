// node --test tools/test-support/error-brands.test.mjs
// The shared brand-contract assertions must fail on the mistakes they exist to catch.
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertBrandedClasses, assertBrandsAcrossCopies } from "./error-brands.mjs";

const brandKeys = new WeakMap();

/**
 * A class branded the way runtime/src/errors.ts brands them: a per-class
 * Symbol.for key on the prototype, which the root's instanceof looks for;
 * a class without a brand falls back to the prototype chain.
 */
function branded(pkg, name, parent = Error, { brand = true } = {}) {
  const cls = class extends parent {};
  Object.defineProperty(cls, "name", { value: name });
  if (brand) {
    const key = Symbol.for(`${pkg}:${name}`);
    Object.defineProperty(cls.prototype, key, { value: true });
    brandKeys.set(cls, key);
  }
  if (parent === Error) {
    Object.defineProperty(cls, Symbol.hasInstance, {
      value(value) {
        const key = brandKeys.get(this);
        if (key === undefined) return Function.prototype[Symbol.hasInstance].call(this, value);
        return typeof value === "object" && value !== null && value[key] === true;
      },
    });
  }
  return cls;
}

/** One "copy" of a package: a base, a parent with a child, and an unrelated class. */
function copy(options = {}) {
  const Base = branded("@fixture/pkg", "FixtureError");
  const Parent = branded("@fixture/pkg", "ParentError", Base);
  const Child = branded("@fixture/pkg", "ChildError", Parent, options.child);
  const Other = branded("@fixture/pkg", "OtherError", Base);
  return { Base, Parent, Child, Other };
}

const list = (m) => [
  [m.Parent, new m.Parent()],
  [m.Child, new m.Child()],
  [m.Other, new m.Other()],
];
const make = (m) => [
  [new m.Parent(), "Parent"],
  [new m.Child(), "Child"],
  [new m.Other(), "Other"],
];

test("a correctly branded family passes both checks", () => {
  const m = copy();
  assertBrandedClasses("@fixture/pkg", list(m), { bases: [m.Base, Error], parents: [m.Parent], foreignBases: [m.Base] });
  const [a, b] = [copy(), copy()];
  // A child is also an instance of its parent, so only unrelated pairs may be listed together here.
  const unrelated = (c) => [
    [new c.Parent(), "Parent"],
    [new c.Other(), "Other"],
  ];
  assertBrandsAcrossCopies(a, b, unrelated, (to) => [to.Base]);
});

test("a class without its brand fails, within one copy and across two", () => {
  const m = copy({ child: { brand: false } });
  assert.throws(
    () => assertBrandedClasses("@fixture/pkg", list(m), { parents: [m.Parent] }),
    /ChildError carries @fixture\/pkg:ChildError/,
  );
  const [a, b] = [copy({ child: { brand: false } }), copy({ child: { brand: false } })];
  assert.throws(() => assertBrandsAcrossCopies(a, b, make), /Child into the other copy/);
});

test("a parent not declared as one fails: instanceof must hold only for the class itself", () => {
  const m = copy();
  assert.throws(() => assertBrandedClasses("@fixture/pkg", list(m)), /ChildError vs ParentError/);
  const [a, b] = [copy(), copy()];
  assert.throws(() => assertBrandsAcrossCopies(a, b, make), /Child vs Parent/);
});

test("a missing base or a foreign base brand that is not honoured fails", () => {
  const m = copy();
  const Unrelated = branded("@fixture/pkg", "UnrelatedError");
  assert.throws(
    () => assertBrandedClasses("@fixture/pkg", list(m), { parents: [m.Parent], bases: [Unrelated] }),
    /ParentError is a UnrelatedError/,
  );
  class PlainError extends Error {} // instanceof by prototype only: another copy's instance is not one
  assert.throws(
    () => assertBrandedClasses("@fixture/pkg", list(m), { parents: [m.Parent], foreignBases: [PlainError] }),
    /another copy's ParentError is a PlainError/,
  );
});
