/**
 * Helps V8 free the plaintext buffers `TlsStream.read()` hands out before
 * they set off full collections (issue 13).
 *
 * Why: every record a reader receives is a fresh 16 KiB ArrayBuffer (the
 * output of node:crypto's `update()`), which the reader usually drops at
 * once. V8 frees such young buffers only when it next scavenges, and until
 * then counts them as external memory allocated since the last full
 * collection. On Node 20 (V8 11.3) a reader at full speed crosses the old
 * generation's limit with that dead memory before the young generation fills,
 * so V8 runs a full mark-compact every ~40 MiB received (22-30 per GiB, each
 * ~13 ms of CPU marking a 9 MB heap, measured with `--trace-gc` in the
 * two-process bulk bench): about a fifth of the receiver's CPU. A minor
 * collection every 8 MiB delivered frees the dead buffers first: 1 full
 * collection per GiB instead, at ~1 ms per scavenge. Node 24's V8 does not
 * have the problem (1 full collection per GiB without help), and forcing
 * scavenges there only costs CPU.
 *
 * So the assist decides from what the process shows: it watches full
 * collections (a `gc` PerformanceObserver) while plaintext flows, and turns
 * on only if `majorThreshold` of them follow each other with some, but at
 * most `gapBytes`, of plaintext delivered in between (full collections with
 * no TLS read in between, from another workload or node:tls in the same
 * process, count once); then it runs one minor collection per `budgetBytes`
 * delivered, for the life of the process, unless `slowLimit` collections in
 * a row cost more than `slowCollectionMs` of CPU (an application whose young
 * generation holds many live objects: there a forced scavenge costs more than
 * the full collections it saves), which turns it off. Having decided either way (or
 * after `observeBytes` delivered without reason to), it stops watching. The collector
 * is `gc` from a fresh `vm` context created with `--expose-gc` on for that
 * moment only (see `flagged-builtin.ts`); where there is none, nothing is
 * collected. The collection runs inside `read()`, before it returns the next
 * chunk: that chunk is still referenced and survives, the ones returned
 * earlier are freed if the reader dropped them.
 *
 * @example
 * ```ts
 * import { plaintextDelivered } from "./plaintext-scavenge.js";
 * declare const chunk: Uint8Array;
 * plaintextDelivered(chunk.length); // in read(), before returning chunk
 * ```
 * @internal
 * @module
 */

import { builtinFromFlaggedContext } from "../../primitives/providers/flagged-builtin.js";

/** Runs one minor (young-generation) collection. */
export type MinorCollector = () => void;

/** Policy of a {@link ScavengeAssist}. */
export interface ScavengeAssistOptions {
  /** Plaintext bytes delivered between two minor collections once the assist is on. */
  readonly budgetBytes: number;
  /** Most plaintext delivered between two full collections that still count as one run. */
  readonly gapBytes: number;
  /** Full collections in one run that turn the assist on. */
  readonly majorThreshold: number;
  /** Delivered plaintext after which, still off, the assist stops watching for good. */
  readonly observeBytes: number;
  /**
   * A minor collection costing more CPU than this (ms) means a young
   * generation too full of live objects for the assist to pay; `slowLimit`
   * of them in a row turn it off.
   */
  readonly slowCollectionMs: number;
  readonly slowLimit: number;
  /**
   * The process's CPU time in ms (`process.cpuUsage()`): CPU, not wall time,
   * so that a loaded machine descheduling us does not read as a slow collection.
   */
  readonly now: () => number;
  /** Called once, when the assist turns on; undefined means no collector here (the assist stays off). */
  readonly loadCollector: () => MinorCollector | undefined;
  /** Called once the assist has decided and needs no more `noteMajor` calls. */
  readonly onDecided?: (() => void) | undefined;
}

/** The default policy (the figures in the module comment). */
export const DEFAULT_SCAVENGE_POLICY = {
  budgetBytes: 8 << 20,
  gapBytes: 128 << 20,
  majorThreshold: 2,
  observeBytes: 1 << 30,
  slowCollectionMs: 4,
  slowLimit: 3,
} as const;

/** Decides whether plaintext delivery needs minor collections, and runs them. */
export class ScavengeAssist {
  readonly #options: ScavengeAssistOptions;
  #state: "watching" | "on" | "off" = "watching";
  #collector: MinorCollector | undefined;
  /** Full collections in the current run, each within `gapBytes` of delivered plaintext after the one before. */
  #majors = 0;
  /** `delivered` when the last full collection was counted. */
  #deliveredAtMajor = -1;
  #since = 0;
  /** Slow minor collections in a row. */
  #slow = 0;
  /** Plaintext bytes noted so far. */
  delivered = 0;
  /** Minor collections run so far. */
  collections = 0;

  constructor(options: ScavengeAssistOptions) {
    this.#options = options;
  }

  /** "watching" (deciding), "on" (collecting) or "off" (decided not to, or cannot). */
  get state(): "watching" | "on" | "off" {
    return this.#state;
  }

  /**
   * A full collection happened. Counted only if plaintext was delivered
   * since the last one counted: collections while no TLS reader is busy
   * (another workload, or node:tls in the same process) are not ours to help.
   */
  noteMajor(): void {
    if (this.#state !== "watching" || this.delivered === this.#deliveredAtMajor) return;
    const close = this.#deliveredAtMajor >= 0 && this.delivered - this.#deliveredAtMajor <= this.#options.gapBytes;
    this.#majors = close ? this.#majors + 1 : 1;
    this.#deliveredAtMajor = this.delivered;
  }

  /** `bytes` of plaintext were handed to a reader; may run a minor collection. */
  noteDelivered(bytes: number): void {
    this.delivered += bytes;
    if (this.#state === "on") {
      this.#since += bytes;
      if (this.#since < this.#options.budgetBytes) return;
      this.#since = 0;
      const start = this.#options.now();
      try {
        (this.#collector as MinorCollector)();
        this.collections++;
      } catch {
        this.#state = "off"; // a collector that fails once is not tried again
        return;
      }
      this.#slow = this.#options.now() - start > this.#options.slowCollectionMs ? this.#slow + 1 : 0;
      if (this.#slow >= this.#options.slowLimit) this.#state = "off";
      return;
    }
    if (this.#state === "off") return;
    if (this.#majors >= this.#options.majorThreshold) {
      this.#collector = this.#options.loadCollector();
      this.#decide(this.#collector === undefined ? "off" : "on");
      return;
    }
    if (this.delivered >= this.#options.observeBytes) this.#decide("off");
  }

  /** Decides "off" now (nothing to watch with). */
  stopWatching(): void {
    if (this.#state === "watching") this.#decide("off");
  }

  #decide(state: "on" | "off"): void {
    this.#state = state;
    this.#options.onDecided?.();
  }
}

interface GcEntry {
  readonly detail?: { readonly kind?: number } | undefined;
}
interface PerfHooks {
  readonly PerformanceObserver: new (
    callback: (list: { getEntries(): readonly GcEntry[] }) => void,
  ) => { observe(options: { entryTypes: string[] }): void; disconnect(): void };
  readonly constants: { readonly NODE_PERFORMANCE_GC_MAJOR: number };
}

function loadPerfHooks(): PerfHooks | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.("node:perf_hooks") as PerfHooks | undefined;
  } catch {
    return undefined;
  }
}

/** `gc({ type: "minor" })`: the process's own `gc` if it was started with `--expose-gc`, else one from a flagged context. */
function loadMinorCollector(): MinorCollector | undefined {
  const existing = (globalThis as { gc?: unknown }).gc;
  const gc = typeof existing === "function" ? existing : builtinFromFlaggedContext("expose-gc", "gc");
  if (typeof gc !== "function") return undefined;
  return () => (gc as (options: { type: string }) => void)({ type: "minor" });
}

/** Process CPU time in ms where Node offers it, else wall time. */
function cpuClock(): () => number {
  const proc = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process;
  const usage = proc?.cpuUsage;
  if (typeof usage !== "function") return Date.now;
  return () => {
    const u = usage.call(proc);
    return (u.user + u.system) / 1000;
  };
}

let assist: ScavengeAssist | undefined;

/** The process-wide assist every `TlsStream` reports to (created, and watching, on first use). */
export function plaintextScavenge(): ScavengeAssist {
  if (assist !== undefined) return assist;
  const hooks = loadPerfHooks();
  let observer: { disconnect(): void } | undefined;
  const created = new ScavengeAssist({
    ...DEFAULT_SCAVENGE_POLICY,
    now: cpuClock(),
    loadCollector: loadMinorCollector,
    onDecided: () => observer?.disconnect(),
  });
  assist = created;
  if (hooks === undefined) {
    created.stopWatching(); // nothing to watch with
    return created;
  }
  const major = hooks.constants.NODE_PERFORMANCE_GC_MAJOR;
  const watcher = new hooks.PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.detail?.kind === major) created.noteMajor();
  });
  watcher.observe({ entryTypes: ["gc"] });
  observer = watcher;
  return created;
}

/** Reports `bytes` of plaintext handed to a reader (see the module comment). */
export function plaintextDelivered(bytes: number): void {
  (assist ?? plaintextScavenge()).noteDelivered(bytes);
}
