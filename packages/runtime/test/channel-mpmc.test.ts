import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bounded, type Channel, unbounded } from "../src/channel/channel.js";
import { CancelledError, ChannelClosedError } from "../src/errors.js";

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function yields(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

type Outcome = string;

type Command =
  | { readonly op: "trySend"; readonly value: number }
  | { readonly op: "tryRecv" }
  | { readonly op: "send"; readonly value: number }
  | { readonly op: "recv" }
  | { readonly op: "abort"; readonly pick: number }
  | { readonly op: "close" };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("trySend" as const), value: fc.nat(999) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("tryRecv" as const) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("send" as const), value: fc.nat(999) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("recv" as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("abort" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("close" as const) }) },
);

/** The specification of a channel, as a plain synchronous model. */
class Model {
  readonly buffer: number[] = [];
  readonly senders: { id: number; value: number }[] = [];
  readonly receivers: { id: number }[] = [];
  readonly outcomes = new Map<number, Outcome>();
  closed = false;

  constructor(readonly capacity: number) {}

  offer(value: number): boolean {
    const receiver = this.receivers.shift();
    if (receiver !== undefined) {
      this.outcomes.set(receiver.id, `value ${value}`);
      return true;
    }
    if (this.buffer.length < this.capacity) {
      this.buffer.push(value);
      return true;
    }
    return false;
  }

  take(): number | undefined {
    if (this.buffer.length > 0) {
      const value = this.buffer.shift() as number;
      const sender = this.senders.shift();
      if (sender !== undefined) {
        this.buffer.push(sender.value);
        this.outcomes.set(sender.id, "sent");
      }
      return value;
    }
    const sender = this.senders.shift();
    if (sender !== undefined) {
      this.outcomes.set(sender.id, "sent");
      return sender.value;
    }
    return undefined;
  }

  send(id: number, value: number): void {
    if (this.closed) this.outcomes.set(id, "closed");
    else if (this.offer(value)) this.outcomes.set(id, "sent");
    else this.senders.push({ id, value });
  }

  recv(id: number): void {
    const value = this.take();
    if (value !== undefined) this.outcomes.set(id, `value ${value}`);
    else if (this.closed) this.outcomes.set(id, "closed");
    else this.receivers.push({ id });
  }

  abort(id: number): void {
    const s = this.senders.findIndex((x) => x.id === id);
    if (s >= 0) this.senders.splice(s, 1);
    const r = this.receivers.findIndex((x) => x.id === id);
    if (r >= 0) this.receivers.splice(r, 1);
    if (!this.outcomes.has(id)) this.outcomes.set(id, "cancelled");
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.senders.splice(0)) this.outcomes.set(s.id, "closed");
    for (const r of this.receivers.splice(0)) this.outcomes.set(r.id, "closed");
  }
}

function describeError(error: unknown): Outcome {
  if (error instanceof ChannelClosedError) return "closed";
  if (error instanceof CancelledError) return "cancelled";
  return `unexpected ${String(error)}`;
}

describe("channel against a model (property)", () => {
  it("any interleaving of sends, receives, aborts and close matches the specification", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.array(commandArb, { maxLength: 40 }), async (capacity, commands) => {
        const ch = bounded<number>(capacity);
        const model = new Model(capacity);
        const outcomes = new Map<number, Outcome>();
        const controllers: AbortController[] = [];
        for (const command of commands) {
          switch (command.op) {
            case "trySend": {
              let actual: string;
              try {
                actual = String(ch.trySend(command.value));
              } catch (error) {
                actual = describeError(error);
              }
              const expected = model.closed ? "closed" : String(model.offer(command.value));
              expect(actual).toBe(expected);
              break;
            }
            case "tryRecv": {
              const actual = ch.tryRecv();
              const value = model.take();
              expect(actual).toEqual(value !== undefined ? { ok: true, value } : { ok: false, closed: model.closed });
              break;
            }
            case "send":
            case "recv": {
              const id = controllers.length;
              const controller = new AbortController();
              controllers.push(controller);
              if (command.op === "send") {
                ch.send(command.value, { signal: controller.signal }).then(
                  () => outcomes.set(id, "sent"),
                  (e: unknown) => outcomes.set(id, describeError(e)),
                );
                model.send(id, command.value);
              } else {
                ch.recv({ signal: controller.signal }).then(
                  (v) => outcomes.set(id, `value ${v}`),
                  (e: unknown) => outcomes.set(id, describeError(e)),
                );
                model.recv(id);
              }
              break;
            }
            case "abort": {
              if (controllers.length === 0) break;
              const id = command.pick % controllers.length;
              controllers[id]?.abort();
              model.abort(id);
              break;
            }
            case "close":
              ch.close();
              model.close();
              break;
          }
          expect(ch.length).toBe(model.buffer.length);
        }
        await tick();
        expect(Object.fromEntries([...outcomes].filter(([id]) => model.outcomes.has(id)))).toEqual(Object.fromEntries(model.outcomes));
        // Waits the model still has parked are still pending for real.
        for (const parked of [...model.senders, ...model.receivers]) expect(outcomes.has(parked.id)).toBe(false);
        for (const c of controllers) c.abort();
      }),
      { numRuns: 300 },
    );
  });
});

describe("multiple producers and consumers", () => {
  async function runScenario(
    ch: Channel<readonly [number, number]>,
    producers: number,
    perProducer: number,
    consumers: number,
    jitter: number[],
  ) {
    let j = 0;
    const nextJitter = (): number => jitter[j++ % jitter.length] ?? 0;
    const produce = async (p: number): Promise<void> => {
      for (let i = 0; i < perProducer; i++) {
        if ((i + p) % 3 === 0 && ch.trySend([p, i])) continue;
        await ch.send([p, i]);
        await yields(nextJitter());
      }
    };
    const consume = async (): Promise<(readonly [number, number])[]> => {
      const got: (readonly [number, number])[] = [];
      for (;;) {
        const r = ch.tryRecv();
        if (r.ok) {
          got.push(r.value);
          await yields(nextJitter());
          continue;
        }
        try {
          got.push(await ch.recv());
        } catch (error) {
          if (error instanceof ChannelClosedError) return got;
          throw error;
        }
      }
    };
    const consuming = Array.from({ length: consumers }, consume);
    await Promise.all(Array.from({ length: producers }, (_, p) => produce(p)));
    ch.close();
    return Promise.all(consuming);
  }

  function checkExactlyOnceInOrder(results: (readonly [number, number])[][], producers: number, perProducer: number): void {
    const seen = new Set<string>();
    for (const got of results) {
      const last = new Map<number, number>();
      for (const [p, i] of got) {
        const key = `${p}:${i}`;
        expect(seen.has(key)).toBe(false);
        seen.add(key);
        // FIFO: each consumer sees one producer's messages in send order.
        expect(i).toBeGreaterThan(last.get(p) ?? -1);
        last.set(p, i);
      }
    }
    expect(seen.size).toBe(producers * perProducer);
  }

  it("delivers every message exactly once, in per-producer order, for bounded, rendezvous and unbounded channels", async () => {
    for (const ch of [
      bounded<readonly [number, number]>(4),
      bounded<readonly [number, number]>(0),
      unbounded<readonly [number, number]>(),
    ]) {
      const results = await runScenario(ch, 4, 500, 3, [0, 2, 1, 5, 0, 3]);
      checkExactlyOnceInOrder(results, 4, 500);
    }
  });

  it("holds for arbitrary scheduling jitter (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.nat(4), { minLength: 1, maxLength: 16 }),
        async (capacity, producers, consumers, jitter) => {
          const results = await runScenario(bounded(capacity), producers, 60, consumers, jitter);
          checkExactlyOnceInOrder(results, producers, 60);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("a single consumer sees the global FIFO order of accepted sends", async () => {
    const ch = bounded<number>(2);
    const order: number[] = [];
    const senders = [1, 2, 3, 4, 5, 6].map((v) => ch.send(v).then(() => order.push(v)));
    const got: number[] = [];
    for (let i = 0; i < 6; i++) got.push(await ch.recv());
    await Promise.all(senders);
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
