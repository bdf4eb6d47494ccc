/**
 * Worker-thread entry points for `AsyncCipher`: seal or open a contiguous
 * range of chunks of the chunked construction. Loaded by `ThreadPoolIo`
 * workers by module URL; arguments and results are plain data so they cross
 * threads, and results are transferred, not copied.
 *
 * @example
 * ```ts
 * const task = workerTask(new URL("./chunk-tasks.js", import.meta.url), "sealChunks");
 * const sealed = await pool.run(task, [job], { transfer: [job.data.buffer] });
 * ```
 * @module
 */
import { withTransfer } from "@zsync/runtime/node";
import { ChunkFailure, openChunkRange, sealChunkRange } from "./chunked-aead.js";
import type { AeadAlgorithm, ProviderName } from "./provider.js";
import { getProvider } from "./providers/select.js";

/** One range of chunks. */
export interface ChunkJob {
  readonly provider: ProviderName;
  readonly algorithm: AeadAlgorithm;
  readonly subkey: Uint8Array;
  readonly prefix: Uint8Array;
  readonly chunkSize: number;
  readonly firstIndex: number;
  readonly final: boolean;
  readonly data: Uint8Array;
}

/** Outcome of opening a range: the plaintext, or which chunk failed. */
export type OpenResult =
  | { readonly ok: true; readonly data: Uint8Array }
  | { readonly ok: false; readonly index: number; readonly truncated: boolean };

/** Seals `job.data` as chunks `firstIndex...`; returns the sealed bytes. */
export function sealChunks(job: ChunkJob): Uint8Array {
  const aead = getProvider(job.provider).aead(job.algorithm, job.subkey);
  const sealed = sealChunkRange(aead, job.prefix, job.data, job.chunkSize, job.firstIndex, job.final);
  return withTransfer(sealed, [sealed.buffer as ArrayBuffer]);
}

/** Opens `job.data`; authentication failures are returned as data so they cross threads intact. */
export function openChunks(job: ChunkJob): OpenResult {
  const aead = getProvider(job.provider).aead(job.algorithm, job.subkey);
  try {
    const data = openChunkRange(aead, job.prefix, job.data, job.chunkSize, job.firstIndex, job.final);
    return withTransfer<OpenResult>({ ok: true, data }, [data.buffer as ArrayBuffer]);
  } catch (error) {
    if (error instanceof ChunkFailure) return { ok: false, index: error.index, truncated: error.truncated };
    throw error;
  }
}
