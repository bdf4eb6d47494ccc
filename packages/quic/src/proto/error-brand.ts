/**
 * The brand scheme every error class of this package uses, so `instanceof`
 * holds across two installed copies of `@zsync/quic` (a dependency that
 * resolved its own copy): a base class keeps, per subclass, the registered
 * symbol `Symbol.for(key)` under a private slot and puts that symbol on the
 * subclass's prototype; its `Symbol.hasInstance` then answers by the symbol.
 * It mirrors `ZsyncError`'s scheme in `@zsync/runtime`, which the sans-I/O
 * core may not import; `QuicError` (proto/errors.ts) and `QpackError`
 * (h3/qpack/errors.ts) are its two bases.
 *
 * @example
 * ```ts
 * import { declareBrand, hasBrand } from "./error-brand.js";
 * const kBrand: unique symbol = Symbol("example.errorBrand");
 * class BaseError extends Error {
 *   protected static brand(key: string): void {
 *     declareBrand(this, kBrand, key);
 *   }
 *   static override [Symbol.hasInstance](instance: unknown): boolean {
 *     return hasBrand(this, kBrand, instance);
 *   }
 * }
 * ```
 * @internal
 * @module
 */

/**
 * Brands `cls` with `Symbol.for(key)`, kept under `slot` (the base's own,
 * per-copy symbol, never on instances). Refuses a class branded twice.
 */
export function declareBrand(cls: object & { prototype: object }, slot: symbol, key: string): void {
  if (Object.hasOwn(cls, slot)) throw new TypeError(`${(cls as { name?: string }).name} is already branded`);
  const symbol = Symbol.for(key);
  Object.defineProperty(cls, slot, { value: symbol });
  Object.defineProperty(cls.prototype, symbol, { value: true });
}

/**
 * `instance instanceof cls` by `cls`'s brand under `slot`; by prototype for a
 * subclass that declared none.
 */
export function hasBrand(cls: object, slot: symbol, instance: unknown): boolean {
  const symbol = Object.hasOwn(cls, slot) ? (cls as Record<symbol, symbol>)[slot] : undefined;
  if (symbol === undefined) return Function.prototype[Symbol.hasInstance].call(cls, instance);
  return typeof instance === "object" && instance !== null && (instance as Record<symbol, unknown>)[symbol] === true;
}
