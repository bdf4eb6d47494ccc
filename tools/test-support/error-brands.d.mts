// Types of error-brands.mjs (the shared error-brand contract of every package's tests).

/** Any class, as `instanceof` sees it. */
export type AnyClass = abstract new (...args: never[]) => object;

/** Two copies of the same package, each the list of modules imported from it. */
export interface TwoCopies {
  readonly a: readonly unknown[];
  readonly b: readonly unknown[];
  /** Removes both copies and their build. */
  dispose(): void;
}

export function importTwoCopies(packageDir: string, name: string, entries: readonly string[]): Promise<TwoCopies>;

export function assertBrandsAcrossCopies<M>(
  a: M,
  b: M,
  make: (copy: M) => ReadonlyArray<readonly [object, keyof M & string]>,
  bases?: (copy: M) => readonly AnyClass[],
): void;

export function assertBrandedClasses(
  pkg: string,
  classes: ReadonlyArray<readonly [AnyClass, object]>,
  options?: { readonly bases?: readonly AnyClass[]; readonly parents?: readonly AnyClass[]; readonly foreignBases?: readonly AnyClass[] },
): void;
