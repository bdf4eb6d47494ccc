/**
 * Ambient task context: which task is running now, so that runtime waits
 * (sleep, channel ops, lock acquisition) and child spawns attach to it without
 * the caller threading a signal through every call.
 *
 * Where the host offers `AsyncLocalStorage` (Node, Deno and Bun expose it via
 * `process.getBuiltinModule`, which is feature-detected, not imported) the
 * context follows `await`s. Elsewhere (browsers) it is visible only during the
 * synchronous part of a task body; code there should capture
 * `currentTask()?.signal` at the top of the task or pass `{ signal }`
 * explicitly. Both behaviours are documented in the README.
 * @internal
 */
import type { CancelToken } from "./cancel.js";

/** What a running task exposes to code running inside it. */
export interface TaskScope {
  readonly id: number;
  readonly name: string | undefined;
  readonly token: CancelToken;
}

type Fn<R> = (...args: never[]) => R;

interface Storage {
  readonly followsAwait: boolean;
  get(): TaskScope | undefined;
  /** Calls `fn(...args)` with `scope` current (arguments passed through, so no closure is needed). */
  run<R>(scope: TaskScope | undefined, fn: Fn<R>, args: readonly unknown[]): R;
}

interface AlsLike {
  getStore(): TaskScope | undefined;
  run<R>(store: TaskScope | undefined, fn: Fn<R>, ...args: unknown[]): R;
}

function synchronousStorage(): Storage {
  let current: TaskScope | undefined;
  return {
    followsAwait: false,
    get: () => current,
    run(scope, fn, args) {
      const previous = current;
      current = scope;
      try {
        return (fn as (...a: unknown[]) => ReturnType<typeof fn>)(...args);
      } finally {
        current = previous;
      }
    },
  };
}

function asyncLocalStorage(): Storage | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const hooks = proc?.getBuiltinModule?.("node:async_hooks") as { AsyncLocalStorage?: new () => AlsLike } | undefined;
  if (hooks?.AsyncLocalStorage === undefined) return undefined;
  const als = new hooks.AsyncLocalStorage();
  return {
    followsAwait: true,
    get: () => als.getStore(),
    run: (scope, fn, args) => als.run(scope, fn, ...args),
  };
}

let storage: Storage = synchronousStorage();
let asyncStorage: Storage | undefined | null = null;

/** What code outside any runtime gets: follow awaits where the host can. */
let processDefault = true;
/** What each live runtime asked for (one entry per runtime, removed when it ends). */
const claims = new Set<{ readonly followAwait: boolean }>();

function apply(followAwait: boolean): boolean {
  if (followAwait) {
    if (asyncStorage === null) asyncStorage = asyncLocalStorage();
    storage = asyncStorage ?? synchronousStorage();
  } else if (storage.followsAwait) {
    storage = synchronousStorage();
  }
  return storage.followsAwait;
}

/**
 * The context follows awaits while any live runtime asks for it, or, with no
 * runtime live, as the process default says. Turning it off is only a cost
 * saving (`Config.forEmbedded()`), so one runtime's "off" never takes the
 * behaviour away from another runtime that asked for it.
 */
function recompute(): boolean {
  if (claims.size === 0) return apply(processDefault);
  for (const claim of claims) if (claim.followAwait) return apply(true);
  return apply(false);
}

/**
 * Sets the process default: whether the context follows `await`s (needs
 * AsyncLocalStorage) while no runtime asks otherwise. Returns whether it
 * follows them after the call.
 */
export function setAmbientContext(followAwait: boolean): boolean {
  processDefault = followAwait;
  return recompute();
}

/**
 * Records a runtime's `ambientContext` setting until the returned function is
 * called (when the runtime shuts down), which restores what was in force
 * without it.
 */
export function claimAmbientContext(followAwait: boolean): () => void {
  const claim = { followAwait };
  claims.add(claim);
  recompute();
  return () => {
    if (claims.delete(claim)) recompute();
  };
}

/** Whether the ambient context follows `await`s on this host right now. */
export function ambientFollowsAwait(): boolean {
  return storage.followsAwait;
}

export function currentScope(): TaskScope | undefined {
  return storage.get();
}

export function runInScope<R>(scope: TaskScope | undefined, fn: (...args: never[]) => R, args: readonly unknown[] = []): R {
  return storage.run(scope, fn, args);
}

recompute();
