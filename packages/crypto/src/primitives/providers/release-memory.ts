/**
 * Frees the memory behind a buffer that nothing will read again at once,
 * instead of whenever V8 next sweeps it.
 *
 * Why: node:crypto returns every `update()` result in a fresh ArrayBuffer
 * (16 KiB per TLS record), and every TCP read arrives in one too. V8 counts
 * such memory as external until a collection sweeps the dead buffer, and it
 * counts outstanding external memory against the old generation's limit.
 * Moving 1 MiB of TLS data churned about 1 MiB of it on the sender and 2
 * MiB on the receiver; with our processes' small heaps the outstanding bytes
 * crossed the limit every 10-20 MiB and set off a full mark-compact (12 per
 * 256 MiB on the receiver, 24 with the record worker), and marking plus
 * sweeping came to about a third of the receiver's CPU (`perf`, in
 * docs/performance-notes.md, "Bulk CPU per GiB, and freeing buffers early").
 * `ArrayBuffer.prototype.transfer(0)` detaches the buffer:
 * V8 stops counting it and its memory goes back to malloc immediately, so the
 * next record's buffer reuses warm pages instead of faulting in new ones.
 *
 * Only a view that covers the whole of a non-shared ArrayBuffer is released:
 * a smaller view may share its memory with other data (Node's Buffer pool).
 * The caller guarantees that no other view of that memory is still in use;
 * a view that is used anyway reads as empty (a detached buffer), never as
 * other data.
 *
 * `transfer` is native from V8 11.4 (Node 22, 24). Node 20's V8 has it behind
 * `--harmony-rab-gsab-transfer`: the function is taken from a fresh `vm`
 * context created with that flag on for that moment only, as
 * `bulk/shared-memory-release.ts` does for `gc`; builtins check their
 * receiver's internal slots, not its realm. Where neither works nothing is
 * released (the memory is freed by the collector, as before).
 *
 * @example
 * ```ts
 * import { releaseMemory } from "./release-memory.js";
 * declare const scratch: Uint8Array; // copied elsewhere, never read again
 * releaseMemory(scratch);
 * ```
 * @internal
 * @module
 */

import { builtinFromFlaggedContext } from "./flagged-builtin.js";

type Transfer = (this: ArrayBuffer, newLength: number) => ArrayBuffer;

function loadTransfer(): Transfer | null {
  const native = (ArrayBuffer.prototype as { transfer?: unknown }).transfer;
  if (typeof native === "function") return native as Transfer;
  const flagged = builtinFromFlaggedContext("harmony-rab-gsab-transfer", "ArrayBuffer.prototype.transfer");
  return typeof flagged === "function" ? (flagged as Transfer) : null;
}

let transfer: Transfer | null | undefined;

/**
 * Releases `view`'s memory now if `view` spans its whole (non-shared)
 * ArrayBuffer; otherwise does nothing. Returns whether it was released.
 */
export function releaseMemory(view: Uint8Array): boolean {
  const memory = view.buffer;
  if (view.byteOffset !== 0 || view.byteLength !== memory.byteLength || view.byteLength === 0) return false;
  if (!(memory instanceof ArrayBuffer)) return false;
  if (transfer === undefined) transfer = loadTransfer();
  if (transfer === null) return false;
  transfer.call(memory, 0);
  return true;
}
