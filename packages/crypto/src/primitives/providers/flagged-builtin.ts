/**
 * Reads a V8 builtin that this Node has only behind a flag, without turning
 * the flag on for the process.
 *
 * Why: two memory fixes need a builtin Node 20's V8 hides behind a flag (`gc`
 * for the thread pool's shared buffers, `ArrayBuffer.prototype.transfer` for
 * freeing per-record buffers at once). A flag set on the command line would be
 * the caller's choice to make, and one left on would change every context
 * created later. So the flag is switched on only while one fresh `vm` context
 * is created and the builtin read from it, then switched off again: only that
 * context has it. Builtins check their receiver's internal slots, not its
 * realm, so the function works on this realm's objects. Flags are process-wide
 * for that moment, which is synchronous on this thread; a worker thread
 * creating a context at the same instant could also get the builtin, which
 * changes nothing for it. Where `node:v8` or `node:vm` is missing (not Node),
 * or the flag is unknown, the result is undefined and callers keep their
 * behaviour without it.
 *
 * @example
 * ```ts
 * import { builtinFromFlaggedContext } from "./flagged-builtin.js";
 * const gc = builtinFromFlaggedContext("expose-gc", "gc");
 * if (typeof gc === "function") gc();
 * ```
 * @internal
 * @module
 */

interface NodeBuiltins {
  readonly v8?: { setFlagsFromString(flags: string): void };
  readonly vm?: { runInNewContext(code: string): unknown };
}

function nodeBuiltins(): NodeBuiltins {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const load = proc?.getBuiltinModule;
  if (typeof load !== "function") return {};
  return {
    v8: load.call(proc, "node:v8") as NodeBuiltins["v8"],
    vm: load.call(proc, "node:vm") as NodeBuiltins["vm"],
  };
}

/**
 * Evaluates `expression` in a new context created while V8 flag `--<flag>` is
 * on, and returns its value, or undefined where that cannot be done.
 */
export function builtinFromFlaggedContext(flag: string, expression: string): unknown {
  const { v8, vm } = nodeBuiltins();
  if (v8 === undefined || vm === undefined) return undefined;
  try {
    v8.setFlagsFromString(`--${flag}`);
    try {
      return vm.runInNewContext(expression);
    } finally {
      v8.setFlagsFromString(`--no-${flag}`);
    }
  } catch {
    return undefined;
  }
}
