/** Test helpers shared by the synchronisation suites. */

/** Lets every pending promise reaction (and zero-delay timer) run. */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A live view of a promise's state, readable synchronously in assertions. */
export interface Observed<T> {
  status: "pending" | "fulfilled" | "rejected";
  value?: T;
  reason?: unknown;
}

/** Starts observing `promise`; the returned object updates as it settles. */
export function observe<T>(promise: Promise<T>): Observed<T> {
  const state: Observed<T> = { status: "pending" };
  promise.then(
    (value) => {
      state.status = "fulfilled";
      state.value = value;
    },
    (reason: unknown) => {
      state.status = "rejected";
      state.reason = reason;
    },
  );
  return state;
}

/** The reason `promise` rejects with; fails the test if it fulfils. */
export async function rejection(promise: PromiseLike<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/**
 * A one-shot gate: a task calls `open()` once it has reached the point a test
 * waits for (its wait is parked, its listener registered). Tests wait on
 * `reached` instead of a fixed pause, which a loaded machine can outlast.
 */
export function latch(): { readonly reached: Promise<void>; open(): void } {
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (open = resolve));
  return { reached, open };
}
