/**
 * Logical cores available to this process, detected portably: the web's
 * `navigator.hardwareConcurrency`, or Node's `os.availableParallelism()`
 * through `process.getBuiltinModule` (Node 20 has no `navigator`).
 * @internal
 */
export function availableCores(): number {
  const g = globalThis as {
    navigator?: { hardwareConcurrency?: number };
    process?: { getBuiltinModule?: (id: string) => unknown };
  };
  const os = g.process?.getBuiltinModule?.("node:os") as { availableParallelism?: () => number; cpus?: () => unknown[] } | undefined;
  const fromOs = os?.availableParallelism?.() ?? os?.cpus?.().length;
  if (typeof fromOs === "number" && fromOs > 0) return fromOs;
  const fromNavigator = g.navigator?.hardwareConcurrency;
  return typeof fromNavigator === "number" && fromNavigator > 0 ? fromNavigator : 1;
}
