/**
 * What this host offers the runtime, detected without importing any
 * host-specific module: platform, engine versions, cores, worker threads,
 * SharedArrayBuffer/Atomics, AsyncLocalStorage, and the model to use.
 *
 * @example
 * ```ts
 * import { printCapabilities } from "@zsync/runtime";
 * printCapabilities(); // prints a short report and returns it as data
 * ```
 * @module
 */

import type { ExecutionModel } from "./config.js";
import { ambientFollowsAwait } from "./internal/context.js";
import { availableCores } from "./internal/cores.js";

export interface Capabilities {
  /** `node`, `deno`, `bun`, `browser`, `worker` or `unknown`. */
  readonly host: string;
  /** e.g. `linux x64` or the browser's user agent. */
  readonly platform: string;
  /** Engine and runtime versions that could be detected. */
  readonly versions: Readonly<Record<string, string>>;
  readonly cores: number;
  /** Worker threads (Node `worker_threads` or web `Worker`). */
  readonly workerThreads: boolean;
  readonly sharedArrayBuffer: boolean;
  readonly atomicsWait: boolean;
  /** Whether the ambient task context follows `await` (AsyncLocalStorage). */
  readonly asyncContext: boolean;
  readonly recommendedModel: ExecutionModel;
  readonly reason: string;
}

interface ProcessLike {
  versions?: Record<string, string | undefined>;
  platform?: string;
  arch?: string;
  getBuiltinModule?: (id: string) => unknown;
}

/** Detects the host's capabilities. */
export function capabilities(): Capabilities {
  const g = globalThis as {
    process?: ProcessLike;
    Deno?: { version?: Record<string, string> };
    Bun?: { version?: string };
    navigator?: { hardwareConcurrency?: number; userAgent?: string };
    Worker?: unknown;
    WorkerGlobalScope?: unknown;
    document?: unknown;
  };
  const versions: Record<string, string> = {};
  let host = "unknown";
  let platform = "unknown";
  if (g.Deno?.version !== undefined) {
    host = "deno";
    Object.assign(versions, g.Deno.version);
  } else if (g.Bun?.version !== undefined) {
    host = "bun";
    versions.bun = g.Bun.version;
  } else if (g.process?.versions?.node !== undefined) {
    host = "node";
    for (const key of ["node", "v8", "uv", "openssl", "modules"]) {
      const value = g.process.versions[key];
      if (value !== undefined) versions[key] = value;
    }
  } else if (g.document !== undefined) {
    host = "browser";
  } else if (g.WorkerGlobalScope !== undefined) {
    host = "worker";
  }
  if (g.process?.platform !== undefined) platform = `${g.process.platform} ${g.process.arch ?? ""}`.trim();
  else if (g.navigator?.userAgent !== undefined) platform = g.navigator.userAgent;
  const cores = availableCores();
  const nodeWorkers = host === "node" && g.process?.getBuiltinModule?.("node:worker_threads") !== undefined;
  const workerThreads = nodeWorkers || typeof g.Worker === "function";
  const sharedArrayBuffer = typeof SharedArrayBuffer === "function";
  const atomicsWait = typeof Atomics === "object" && typeof Atomics.wait === "function" && sharedArrayBuffer;
  const asyncContext = ambientFollowsAwait();
  const recommendedModel: ExecutionModel = host === "browser" || host === "worker" || host === "unknown" ? "stackless" : "green-threads";
  const reason =
    recommendedModel === "stackless"
      ? "no scheduler hooks beyond web standards here; stackless is the portable model"
      : `event-loop host with ${cores} core(s): green threads for I/O, a ThreadPoolIo of ${Math.max(1, cores - 1)} worker(s) for CPU-heavy work`;
  return { host, platform, versions, cores, workerThreads, sharedArrayBuffer, atomicsWait, asyncContext, recommendedModel, reason };
}

/** Prints {@link capabilities} (to `console.log` by default) and returns them. */
export function printCapabilities(print: (line: string) => void = console.log): Capabilities {
  const c = capabilities();
  const yes = (b: boolean): string => (b ? "yes" : "no");
  print(`host            ${c.host} (${c.platform})`);
  print(
    `versions        ${
      Object.entries(c.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "n/a"
    }`,
  );
  print(`cores           ${c.cores}`);
  print(`worker threads  ${yes(c.workerThreads)}`);
  print(`SharedArrayBuffer ${yes(c.sharedArrayBuffer)}, Atomics.wait ${yes(c.atomicsWait)}`);
  print(`async context   ${yes(c.asyncContext)} (ambient cancellation ${c.asyncContext ? "follows await" : "until the first await"})`);
  print(`recommended     ${c.recommendedModel}: ${c.reason}`);
  return c;
}
