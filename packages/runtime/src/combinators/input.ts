/**
 * What the combinators accept, and how they turn it into something they can
 * both await and cancel: a `Future` is used as is, a function is spawned as a
 * child task, and a plain promise is awaited (it cannot be cancelled; the
 * combinator just stops caring about it).
 * @internal
 */
import { Future } from "../future.js";
import { currentScope } from "../internal/context.js";
import { spawnInternal } from "../task.js";

/** A value the combinators can wait for. */
export type Awaitable<T> = Future<T> | PromiseLike<T> | (() => T | PromiseLike<T>);

/** The value an {@link Awaitable} produces. */
export type AwaitedOf<A> =
  A extends Future<infer T> ? T : A extends PromiseLike<infer T> ? T : A extends () => infer R ? Awaited<R> : never;

// Futures made from plain promises, mapped to the promise: cancelling such a
// future cannot stop the promise, which may still deliver a value later.
const uncancellable = new WeakMap<Future<unknown>, PromiseLike<unknown>>();

export function toFuture<T>(input: Awaitable<T>, index: number, fnName: string): Future<T> {
  if (input instanceof Future) return input;
  if (typeof input === "function") return spawnInternal(undefined, currentScope()?.token, input, []) as unknown as Future<T>;
  if (input !== null && typeof input === "object" && typeof (input as PromiseLike<T>).then === "function") {
    const future = Future.from(input);
    if (future !== input) uncancellable.set(future, input);
    return future;
  }
  throw new TypeError(
    `${fnName}: inputs[${index}] must be a Future, a thenable or a function, got ${input === null ? "null" : typeof input}`,
  );
}

export function toFutures<T>(inputs: Iterable<Awaitable<T>>, fnName: string): Future<T>[] {
  if (inputs === null || typeof (inputs as Iterable<unknown>)?.[Symbol.iterator] !== "function") {
    throw new TypeError(`${fnName}: inputs must be iterable`);
  }
  let index = 0;
  const out: Future<T>[] = [];
  for (const input of inputs) out.push(toFuture(input, index++, fnName));
  return out;
}

/**
 * Cancels every future in `futures` except `keep`. A loser that cannot be
 * cancelled (it wraps a plain promise) may still fulfil later; if its value
 * is disposable (a lock guard, a permit, a connection) it is disposed then,
 * so that nobody's resource leaks into the void.
 */
export function cancelOthers(futures: readonly Future<unknown>[], keep: Future<unknown> | undefined, reason: unknown): void {
  for (const future of futures) {
    if (future === keep) continue;
    future.cancel(reason);
    disposeIfFulfilled(future);
  }
}

/** Disposes the value `future`'s work delivers after it was cancelled, if disposable. */
export function disposeIfFulfilled(future: Future<unknown>): void {
  const source = uncancellable.get(future);
  if (source !== undefined) source.then(disposeValue, noop);
}

function disposeValue(value: unknown): void {
  if (value === null || typeof value !== "object") return;
  const disposable = value as { [Symbol.dispose]?: unknown; [Symbol.asyncDispose]?: unknown };
  if (typeof disposable[Symbol.dispose] === "function") (disposable[Symbol.dispose] as () => void).call(value);
  else if (typeof disposable[Symbol.asyncDispose] === "function") void (disposable[Symbol.asyncDispose] as () => Promise<void>).call(value);
}

function noop(): void {}
