/**
 * Constructor arguments for a lock that may or may not own a value:
 * `new Mutex()` is a `Mutex<undefined>`, `new Mutex(0)` a `Mutex<number>`, and
 * `new Mutex<number>()` is a type error rather than a lock holding
 * `undefined` typed as a number. Published, not internal: the lock
 * constructors' published signatures use it, and stripping it left them
 * untyped for consumers (`new Mutex(0)` became a `Mutex<undefined>`).
 */
export type OptionalValue<T> = [T] extends [undefined] ? [value?: T] : [value: T];
