/**
 * Channel throughput: bounded(1024) single-producer/single-consumer, ours
 * against Effect's `Queue.bounded(1024)` doing the same work (one fibre
 * offering N numbers, the main fibre taking and summing them), and against a
 * bare ring buffer drained synchronously (the ceiling: no waiting at all).
 *
 * Our producer and consumer use the synchronous fast paths first
 * (`trySend`/`tryRecv`) and await only when they would block, which is how
 * throughput-sensitive code is meant to use the channel; a second case
 * measures plain `await send` / `await recv` on every message.
 */
import { type BenchCase, batchThroughput } from "@zsync/bench-harness";
import { Effect, Fiber, Queue } from "effect";
import { bounded } from "../src/channel/channel.js";
import { Ring } from "../src/internal/ring.js";

const MESSAGES = 1_000_000;
const CAPACITY = 1024;

function check(sum: number, n: number): void {
  if (sum !== (n * (n - 1)) / 2) throw new RangeError(`checksum mismatch: ${sum}`);
}

/** Ours, fast paths first. */
async function zsyncFastPath(n: number): Promise<void> {
  const ch = bounded<number>(CAPACITY);
  const producer = (async () => {
    for (let i = 0; i < n; i++) if (!ch.trySend(i)) await ch.send(i);
  })();
  let sum = 0;
  for (let j = 0; j < n; j++) {
    const r = ch.tryRecv();
    sum += r.ok ? r.value : await ch.recv();
  }
  await producer;
  check(sum, n);
}

/** Ours, one await per operation. */
async function zsyncAwaitEach(n: number): Promise<void> {
  const ch = bounded<number>(CAPACITY);
  const producer = (async () => {
    for (let i = 0; i < n; i++) await ch.send(i);
  })();
  let sum = 0;
  for (let j = 0; j < n; j++) sum += await ch.recv();
  await producer;
  check(sum, n);
}

/** Effect: a forked offering fibre and a taking loop, without generator overhead. */
function effectQueue(n: number): Promise<void> {
  const program = Effect.flatMap(Queue.bounded<number>(CAPACITY), (queue) => {
    let i = 0;
    let j = 0;
    let sum = 0;
    const produce = Effect.whileLoop({ while: () => i < n, body: () => Queue.offer(queue, i++), step: () => {} });
    const consume = Effect.whileLoop({
      while: () => j < n,
      body: () => Queue.take(queue),
      step: (value: number) => {
        sum += value;
        j++;
      },
    });
    return Effect.flatMap(Effect.fork(produce), (fiber) =>
      Effect.flatMap(consume, () => Effect.map(Fiber.join(fiber), () => check(sum, n))),
    );
  });
  return Effect.runPromise(program);
}

/** The ceiling: a bare ring buffer filled and drained synchronously in 1024-message batches. */
function bareRing(n: number): void {
  const ring = new Ring<number>(CAPACITY);
  let sum = 0;
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + CAPACITY);
    for (; i < end; i++) ring.push(i);
    while (ring.length > 0) sum += ring.shift() as number;
  }
  check(sum, n);
}

export const channelCases: BenchCase[] = [
  {
    name: "bounded(1024) SPSC, trySend/tryRecv fast paths",
    unit: "msgs/s",
    better: "higher",
    ours: () => batchThroughput(MESSAGES, () => zsyncFastPath(MESSAGES)),
    anchor: { name: "effect Queue.bounded(1024)", sample: () => batchThroughput(MESSAGES, () => effectQueue(MESSAGES)) },
    target: ">= 10M msgs/s and >= 2x Effect",
  },
  {
    name: "bounded(1024) SPSC, await send/recv each",
    unit: "msgs/s",
    better: "higher",
    ours: () => batchThroughput(MESSAGES, () => zsyncAwaitEach(MESSAGES)),
    anchor: { name: "effect Queue.bounded(1024)", sample: () => batchThroughput(MESSAGES, () => effectQueue(MESSAGES)) },
    target: "informational (one promise per op)",
  },
  {
    name: "bounded(1024) SPSC fast paths vs bare ring",
    unit: "msgs/s",
    better: "higher",
    ours: () => batchThroughput(MESSAGES, () => zsyncFastPath(MESSAGES)),
    anchor: { name: "bare ring buffer (sync)", sample: () => batchThroughput(MESSAGES, () => bareRing(MESSAGES)) },
    target: "informational (ceiling)",
  },
];
