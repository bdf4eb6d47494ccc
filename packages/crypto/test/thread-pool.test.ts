/**
 * Large AsyncCipher inputs on ThreadPoolIo workers: worker lanes read shared
 * input and write shared output at final offsets. Same bytes format as the
 * inline path, same failures, cooperative cancellation.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { CancelledError, spawn, workerTask } from "@zsync/runtime";
import { ThreadPoolIo } from "@zsync/runtime/node";
import { afterAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { CancelWatch } from "../src/bulk/cancel-watch.js";
import { runChunkLanes } from "../src/bulk/chunk-lanes.js";
import { deriveChunkKeys, sealChunkRange, sealedLength } from "../src/bulk/chunked-aead.js";
import type { ChunkLane } from "../src/bulk/lane-protocol.js";
import { StagingArea } from "../src/bulk/staging-area.js";
import { AsyncCipher, AuthenticationError, getProvider, TruncatedCiphertextError } from "../src/index.js";

const pool = new ThreadPoolIo({ maxThreads: 2 });
afterAll(() => pool.shutdown());

const taskModule = new URL("../dist/bulk/chunk-tasks.js", import.meta.url);
const key = AsyncCipher.generateKey();
const CHUNK = 16 * 1024;
const SEALED_CHUNK = CHUNK + 16;
const HEADER = 38;
// Jobs of 4 chunks, so a 1 MiB input is 17 jobs spread over two lanes and six staging slots.
const options = { io: pool, parallelThreshold: 64 * 1024, jobSize: 64 * 1024, chunkSize: CHUNK, workers: 2, taskModule };
const pooled = new AsyncCipher(key, options);
const inline = new AsyncCipher(key, { chunkSize: CHUNK });
const data = new Uint8Array(1024 * 1024 + 999).map((_, i) => (i * 5) & 0xff);

/** Byte equality without vitest's element-by-element diff (seconds per MiB). */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  expect(actual.length).toBe(expected.length);
  expect(Buffer.compare(actual, expected)).toBe(0);
}

function shared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

/** Resolves once the pool has a task running (a lane has started). */
async function laneStarted(): Promise<void> {
  while (pool.stats().running === 0) await new Promise<void>((resolve) => setImmediate(resolve));
}

describe("AsyncCipher on ThreadPoolIo", { timeout: 30_000 }, () => {
  it("splits large inputs across workers; output interoperates with the inline path", async () => {
    const envelope = await pooled.encrypt(data);
    expectSameBytes(await inline.decrypt(envelope), data);
    expectSameBytes(await pooled.decrypt(await inline.encrypt(data)), data);
  });

  it("returns views over a SharedArrayBuffer, which decrypt reads without staging", async () => {
    const envelope = await pooled.encrypt(data);
    expect(envelope.buffer).toBeInstanceOf(SharedArrayBuffer);
    const plaintext = await pooled.decrypt(envelope);
    expect(plaintext.buffer).toBeInstanceOf(SharedArrayBuffer);
    expectSameBytes(plaintext, data);
    // Shared input is read in place; the envelope is the same as from a private copy.
    expectSameBytes(await inline.decrypt(await pooled.encrypt(shared(data))), data);
    // Below the threshold, results are ordinary memory.
    expect((await pooled.encrypt(data.subarray(0, 1000))).buffer).toBeInstanceOf(ArrayBuffer);
  });

  it("handles lengths at job and chunk edges, and more lanes than pool threads", async () => {
    const crowded = new AsyncCipher(key, { ...options, workers: 5 });
    for (const length of [64 * 1024 + 1, 4 * CHUNK * 3, 4 * CHUNK * 3 + 1, 4 * CHUNK * 3 - 1, 300_001]) {
      const plaintext = data.subarray(0, length);
      const envelope = await crowded.encrypt(plaintext);
      expectSameBytes(await inline.decrypt(envelope), plaintext);
      expectSameBytes(await crowded.decrypt(envelope), plaintext);
    }
  });

  it("never aliases or detaches a caller's Buffer (Buffer#slice is a view)", async () => {
    const input = Buffer.from(data);
    const envelope = await pooled.encrypt(input);
    expect(input.buffer.byteLength).toBeGreaterThan(0);
    expectSameBytes(input, data);
    expectSameBytes(await inline.decrypt(envelope), data);
  });

  it("rejects tampering detected in a worker with AuthenticationError, in any job", async () => {
    const envelope = (await pooled.encrypt(data)).slice();
    for (const at of [HEADER + 5, HEADER + 9 * SEALED_CHUNK + 100, envelope.length - 20_000, envelope.length - 1]) {
      const tampered = envelope.slice();
      tampered[at] = (tampered[at] as number) ^ 1;
      await expect(pooled.decrypt(tampered)).rejects.toBeInstanceOf(AuthenticationError);
      await expect(pooled.decrypt(shared(tampered))).rejects.toBeInstanceOf(AuthenticationError);
    }
  });

  it("detects truncation at a chunk boundary and chunks swapped across jobs", async () => {
    const envelope = await pooled.encrypt(data);
    await expect(pooled.decrypt(envelope.subarray(0, HEADER + 10 * SEALED_CHUNK))).rejects.toBeInstanceOf(TruncatedCiphertextError);
    const swapped = envelope.slice();
    const a = HEADER + 1 * SEALED_CHUNK;
    const b = HEADER + 13 * SEALED_CHUNK;
    swapped.set(envelope.subarray(b, b + SEALED_CHUNK), a);
    swapped.set(envelope.subarray(a, a + SEALED_CHUNK), b);
    await expect(pooled.decrypt(swapped)).rejects.toBeInstanceOf(AuthenticationError);
  });

  it("an already-aborted signal rejects before any work is queued", async () => {
    const before = pool.stats().completed + pool.stats().cancelled;
    await expect(pooled.encrypt(data, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(CancelledError);
    expect(pool.stats().completed + pool.stats().cancelled).toBe(before);
  });

  it("cancelling mid-run rejects with CancelledError and leaves the pool usable", async () => {
    const large = new AsyncCipher(key, { io: pool, workers: 2, taskModule });
    const input = new Uint8Array(48 * 1024 * 1024);
    for (const direction of ["encrypt", "decrypt"] as const) {
      const source = direction === "encrypt" ? input : await large.encrypt(input);
      const controller = new AbortController();
      const call = { signal: controller.signal };
      const pending = direction === "encrypt" ? large.encrypt(source, call) : large.decrypt(source, call);
      await laneStarted();
      controller.abort("enough");
      await expect(pending).rejects.toBeInstanceOf(CancelledError);
    }
    expect(pool.stats().crashedWorkers).toBe(0);
    expectSameBytes(await pooled.decrypt(await pooled.encrypt(data)), data);
  });

  it("cancelling the calling runtime task cancels the pooled call", async () => {
    let call: Promise<unknown> | undefined;
    const task = spawn(() => {
      call = pooled.encrypt(new Uint8Array(32 * 1024 * 1024));
      return call;
    });
    // The task's body runs on a later turn; the pool may still be busy with the previous test's tasks,
    // so "a task is running" alone can come before the call exists.
    await vi.waitFor(() => expect(call).toBeDefined(), { timeout: 20_000, interval: 1 });
    await laneStarted();
    task.cancel("caller gave up");
    const outcome = await (call as Promise<unknown>).then(
      () => "completed",
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(CancelledError);
  });

  it("workers give back each call's shared buffers: memory stays bounded over many calls", async () => {
    // V8 counts shared memory towards no isolate's GC heuristics, so the workers' copies of each
    // call's output buffer lived until a full collection that a lane worker never runs by itself.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    setFlagsFromString("--no-expose-gc");
    const MiB = 1024 * 1024;
    // Workers that never idle out, as in a busy server (an exiting worker frees everything it held).
    const steady = new ThreadPoolIo({ minThreads: 2, maxThreads: 2 });
    onTestFinished(() => steady.shutdown());
    const big = new AsyncCipher(key, { io: steady, parallelThreshold: MiB, workers: 2, taskModule });
    // Large enough that a lane outlives a few scavenges, so its copies of the buffers reach the old generation.
    const input = new Uint8Array(128 * MiB).fill(7);
    // Resident memory of the whole process: outputs are allocated by a worker, and this thread's
    // `arrayBuffers` counts only what its own allocator handed out.
    const live = (): number => {
      gc();
      return process.memoryUsage().rss;
    };
    await big.encrypt(input);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = live();
    let peak = 0;
    for (let i = 0; i < 6; i++) {
      await big.encrypt(input);
      peak = Math.max(peak, live() - before);
    }
    // Leaking, this climbs towards the 6 outputs' 768 MiB (all of it in a plain node process, 3-4 of
    // them under vitest, whose workers collect more often); otherwise the last call's output, plus
    // one or two whose collection or the ballast's sweep is still in flight.
    expect(peak).toBeLessThan(640 * MiB);
    // The workers did collect (0 without the accounting in chunk-tasks).
    const collections = workerTask<[], number>(taskModule.href, "sharedMemoryCollections");
    const counts = await Promise.all([steady.run(collections, []), steady.run(collections, [])]);
    expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it("results dropped by the caller are collected without anyone forcing a collection", async () => {
    // Shared memory is invisible to V8's GC heuristics; each result carries a counted stand-in.
    const MiB = 1024 * 1024;
    const big = new AsyncCipher(key, { io: pool, parallelThreshold: MiB, workers: 2, taskModule });
    const input = new Uint8Array(16 * MiB).fill(9);
    await big.encrypt(input);
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 32; i++) await big.encrypt(input);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Leaking, resident memory grows by the 32 outputs' 512 MiB.
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * MiB);
  });

  it("a pooled result's collector stand-in is allocated once the lanes are done, not while the loop stages input", async () => {
    // Mapping it at the start waited on the memory-map lock behind an earlier result's unmapping: a stalled loop.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    setFlagsFromString("--no-expose-gc");
    const MiB = 1024 * 1024;
    const big = new AsyncCipher(key, { io: pool, parallelThreshold: MiB, workers: 2, taskModule });
    const input = new Uint8Array(64 * MiB).fill(5);
    // Kept alive to the end: nothing of ours is freed between the readings (a sweep finishing late would lower them).
    const warm = await big.encrypt(input);
    gc();
    // Sweeping frees off-thread: let earlier tests' garbage go before the first reading.
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc();
    const before = process.memoryUsage().arrayBuffers;
    const call = big.encrypt(input);
    // Both lanes running (the output's allocation is a task of its own before them).
    while (pool.stats().running < 2) await new Promise<void>((resolve) => setImmediate(resolve));
    const during = process.memoryUsage().arrayBuffers - before;
    const result = await call;
    const after = process.memoryUsage().arrayBuffers - before;
    // While the lanes run: at most the shared output (staging is reused). Afterwards: plus a same-size unshared
    // stand-in (0 more when it was allocated at the start); half of it leaves room for a late sweep of 16 MiB staging.
    expect(during).toBeLessThan(result.length * 1.5);
    expect(after - during).toBeGreaterThanOrEqual(result.length / 2);
    expect(warm.length).toBe(result.length);
  });

  it("lanes zero the staged plaintext of a completed seal, so the loop does not wipe it after them", async () => {
    // The loop's wipe of 16 MiB staging ran after the lanes, on the call's critical path (5-20 ms per 256 MiB).
    const released: { wipe: boolean; nonZero: number }[] = [];
    class RecordingStaging extends StagingArea {
      override release(view: Uint8Array<SharedArrayBuffer>, how: { readonly wipe: boolean; readonly reuse: boolean }): Promise<void> {
        const whole = new Uint8Array(view.buffer);
        released.push({ wipe: how.wipe, nonZero: whole.length - whole.filter((byte) => byte === 0).length });
        return super.release(view, how);
      }
    }
    const provider = getProvider("node");
    const header = new Uint8Array(38).fill(3);
    const keys = deriveChunkKeys(provider, "xchacha20-poly1305", key, header, new Uint8Array(0));
    const expected = sealChunkRange(keys.aead, keys.prefix, data, CHUNK, 0, true);
    const plan = (direction: "seal" | "open", input: Uint8Array, output: Uint8Array, staging: StagingArea) => ({
      pool,
      task: workerTask<[ChunkLane], number>(taskModule.href, "runChunkLane"),
      lanes: 2,
      slotsPerLane: 3,
      direction,
      provider: "node" as const,
      algorithm: "xchacha20-poly1305" as const,
      // Each lane zeroes its copy of the subkey when it ends.
      subkey: keys.subkey.slice(),
      prefix: keys.prefix,
      chunkSize: CHUNK,
      // 17 jobs through 6 slots: every slot is reused, and the last job fills only part of its slot.
      jobChunks: 4,
      input,
      output,
      staging,
      watch: CancelWatch.start(undefined),
    });
    const sealed = new Uint8Array(new SharedArrayBuffer(sealedLength(data.length, CHUNK)));
    await runChunkLanes(plan("seal", data, sealed, new RecordingStaging()));
    expectSameBytes(sealed, expected);
    expect(released).toEqual([{ wipe: false, nonZero: 0 }]);
    // Opening stages ciphertext, which is not secret: nothing to zero either way.
    released.length = 0;
    const opened = new Uint8Array(new SharedArrayBuffer(data.length));
    await runChunkLanes(plan("open", expected, opened, new RecordingStaging()));
    expectSameBytes(opened, data);
    expect(released.map((r) => r.wipe)).toEqual([false]);
    // A seal that does not complete (here: cancelled as it starts) still has the loop wipe what the lanes left.
    released.length = 0;
    const cancelling = { onCancel: (fire: (error: unknown) => void) => fire(new CancelledError("stop")) } as unknown as CancelWatch;
    await expect(runChunkLanes({ ...plan("seal", data, sealed, new RecordingStaging()), watch: cancelling })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(released.map((r) => r.wipe)).toEqual([true]);
    keys.subkey.fill(0);
  });

  it("allocates a pooled result on a worker, not on the event loop; a caller's output is not allocated at all", async () => {
    // The pool as AsyncCipher sees it, recording which worker tasks each call runs.
    const ran: string[] = [];
    const recording = Object.assign(Object.create(pool) as ThreadPoolIo, {
      run: (task: { exportName: string }, args: readonly unknown[]) => {
        ran.push(task.exportName);
        return pool.run(task as never, args as never);
      },
    });
    const cipher = new AsyncCipher(key, { ...options, io: recording });
    const envelope = await cipher.encrypt(data);
    expect(envelope.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(ran).toEqual(["allocateShared", "runChunkLane", "runChunkLane"]);
    ran.length = 0;
    expectSameBytes(await cipher.decrypt(envelope), data);
    expect(ran).toEqual(["allocateShared", "runChunkLane", "runChunkLane"]);
    ran.length = 0;
    await cipher.encrypt(data, { output: new Uint8Array(new SharedArrayBuffer(cipher.encryptedLength(data.length))) });
    expect(ran).toEqual(["runChunkLane", "runChunkLane"]);
    // The workers count what they allocated towards their next collection, like a lane's output.
    const allocations = workerTask<[], number>(taskModule.href, "sharedAllocations");
    const counts = await Promise.all([pool.run(allocations, []), pool.run(allocations, [])]);
    expect(Math.max(...counts)).toBeGreaterThan(0);
  });

  it("a worker that allocates an output collects after the call's lane, not before it", async () => {
    const MiB = 1024 * 1024;
    const single = new ThreadPoolIo({ minThreads: 1, maxThreads: 1 });
    onTestFinished(() => single.shutdown());
    const allocate = workerTask<[number], SharedArrayBuffer>(taskModule.href, "allocateShared");
    const collections = workerTask<[], number>(taskModule.href, "sharedMemoryCollections");
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    const start = await single.run(collections, []);
    // Over the 128 MiB budget, never touched (address space only): no collection of its own...
    await single.run(allocate, [200 * MiB]);
    await settle();
    expect(await single.run(collections, [])).toBe(start);
    // ...until a worker that runs no lanes has piled up four budgets' worth. The collection runs when the
    // worker's event loop next turns, which a loaded machine may delay past any fixed wait: ask until it has.
    await single.run(allocate, [400 * MiB]);
    await vi.waitFor(async () => expect(await single.run(collections, [])).toBe(start + 1), { timeout: 20_000, interval: 25 });
  });

  it("lanes hold the shape anchors that keep their optimized code through the workers' collections", async () => {
    await pooled.encrypt(data);
    const held = workerTask<[], number>(taskModule.href, "heldShapeAnchors");
    const counts = await Promise.all([pool.run(held, []), pool.run(held, [])]);
    // 0 in a worker whose lanes never called holdShapes.
    expect(Math.max(...counts)).toBeGreaterThan(0);
  });

  it("names bad pool options", () => {
    expect(() => new AsyncCipher(key, { ...options, workers: 0 })).toThrow(RangeError);
    expect(() => new AsyncCipher(key, { ...options, workers: 1.5 })).toThrow(/options.workers/);
    expect(() => new AsyncCipher(key, { ...options, jobSize: 0 })).toThrow(/options.jobSize/);
  });
});
