/**
 * Constructor arguments for a lock that may or may not own a value:
 * `new Mutex()` is a `Mutex<undefined>`, `new Mutex(0)` a `Mutex<number>`, and
 * `new Mutex<number>()` is a type error rather than a lock holding
 * `undefined` typed as a number.
 * @internal
 */
export type OptionalValue<T> = [T] extends [undefined] ? [value?: T] : [value: T];
