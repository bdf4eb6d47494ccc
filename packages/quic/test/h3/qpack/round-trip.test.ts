/**
 * Encoder → decoder over a simulated connection: random header lists, table
 * capacities (0 and tiny ones included), blocked-stream limits, encoder-stream
 * bytes delivered late and in fragments, sections delivered out of order,
 * acknowledgments delayed, streams cancelled. Every section must decode to
 * what was encoded, the decoder must never see a protocol error (an encoder
 * that evicted a referenced entry, or blocked too many streams, shows up as
 * one), and the encoder's blocking count must stay within the peer's limit.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { QpackDecoder } from "../../../src/h3/qpack/decoder.js";
import { QpackEncoder } from "../../../src/h3/qpack/encoder.js";
import type { Field } from "../../../src/h3/qpack/field.js";

const NAMES = [
  ":method",
  ":path",
  ":authority",
  ":status",
  "content-type",
  "user-agent",
  "x-custom",
  "x-trace",
  "cookie",
  "accept",
  "date",
];
const VALUES = [
  "GET",
  "/",
  "/index.html",
  "200",
  "text/html",
  "example.com",
  "a",
  "",
  "zsync/1.0",
  "application/json",
  "long-value-".repeat(3),
];

const fieldArb: fc.Arbitrary<Field> = fc
  .record({
    name: fc.oneof(fc.constantFrom(...NAMES), fc.string({ unit: fc.constantFrom(..."abcdefgh-"), minLength: 1, maxLength: 12 })),
    value: fc.oneof(
      fc.constantFrom(...VALUES),
      fc.string({ maxLength: 40 }).map((s) => Array.from(s, (c) => (c.charCodeAt(0) > 0xff ? "?" : c)).join("")),
      fc.uint8Array({ maxLength: 20 }).map((b) => String.fromCharCode(...b)),
    ),
    sensitive: fc.boolean(),
  })
  .map(({ name, value, sensitive }) => (sensitive ? { name, value, sensitive: true } : { name, value }));

type Command =
  | { kind: "encode"; reuse: number; fields: Field[] }
  | { kind: "encoder-bytes"; n: number }
  | { kind: "section"; pick: number }
  | { kind: "feedback"; n: number }
  | { kind: "cancel"; pick: number };

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("encode" as const),
      reuse: fc.integer({ min: -3, max: 5 }),
      fields: fc.array(fieldArb, { maxLength: 8 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("encoder-bytes" as const), n: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("section" as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("feedback" as const), n: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
);

const setupArb = fc.record({
  decoderCapacity: fc.constantFrom(0, 32, 40, 64, 100, 220, 300, 4096),
  encoderCapacity: fc.constantFrom(0, 50, 220, 4096),
  blockedStreams: fc.constantFrom(0, 1, 2, 5),
  huffman: fc.boolean(),
});

interface Sent {
  readonly fields: readonly Field[];
  readonly bytes: Uint8Array;
}

function expected(fields: readonly Field[]): { name: string; value: string }[] {
  return fields.map(({ name, value }) => ({ name, value }));
}

type Setup = typeof setupArb extends fc.Arbitrary<infer T> ? T : never;

/** What the runs exercised, so that a generator change that stops reaching a case fails the test. */
const seen = { blocked: 0, unblocked: 0, insertsIntoTinyTables: 0, evictions: 0, cancelled: 0 };

function run(setup: Setup, commands: readonly Command[]): void {
  const encoder = new QpackEncoder({ maxTableCapacity: setup.encoderCapacity, huffman: setup.huffman });
  const decoder = new QpackDecoder({ maxTableCapacity: setup.decoderCapacity, maxBlockedStreams: setup.blockedStreams });
  encoder.applyPeerSettings({ maxTableCapacity: setup.decoderCapacity, blockedStreams: setup.blockedStreams });

  let encoderBytes: Uint8Array = new Uint8Array(0);
  let decoderBytes: Uint8Array = new Uint8Array(0);
  const append = (a: Uint8Array, b: Uint8Array): Uint8Array => {
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  /** Per live stream: sections not yet given to the decoder, and those given and still expected. */
  const undelivered = new Map<number, Sent[]>();
  const awaiting = new Map<number, Sent[]>();
  const streams: number[] = [];
  let nextStream = 0;

  const check = (streamId: number, fields: readonly Field[]): void => {
    const queue = awaiting.get(streamId)!;
    const sent = queue.shift()!;
    expect(fields.map(({ name, value }) => ({ name, value }))).toEqual(expected(sent.fields));
    // The never-indexed bit travels: every line sent as sensitive arrives as sensitive.
    sent.fields.forEach((f, i) => {
      if (f.sensitive) expect(fields[i]!.sensitive).toBe(true);
    });
  };
  const deliverEncoder = (n: number): void => {
    const chunk = encoderBytes.subarray(0, n);
    encoderBytes = encoderBytes.slice(n);
    for (const done of decoder.receiveEncoderStream(chunk)) {
      seen.unblocked++;
      expect(done.error).toBeUndefined();
      check(done.streamId, done.fields!);
    }
  };
  const deliverSection = (streamId: number): void => {
    const sent = undelivered.get(streamId)!.shift()!;
    if (!awaiting.has(streamId)) awaiting.set(streamId, []);
    awaiting.get(streamId)!.push(sent);
    const result = decoder.decodeFieldSection(streamId, sent.bytes);
    if (result.status === "decoded") check(streamId, result.fields);
    else seen.blocked++;
  };
  const feedback = (n: number): void => {
    decoderBytes = append(decoderBytes, decoder.takeDecoderStreamBytes());
    const chunk = decoderBytes.subarray(0, n);
    decoderBytes = decoderBytes.slice(n);
    encoder.receiveDecoderStream(chunk);
  };

  for (const command of commands) {
    switch (command.kind) {
      case "encode": {
        let streamId: number;
        if (command.reuse >= 0 && streams.length > 0) streamId = streams[command.reuse % streams.length]!;
        else {
          streamId = nextStream;
          nextStream += 4;
          streams.push(streamId);
          undelivered.set(streamId, []);
        }
        const bytes = encoder.encodeFieldSection(streamId, command.fields);
        undelivered.get(streamId)!.push({ fields: command.fields, bytes });
        encoderBytes = append(encoderBytes, encoder.takeEncoderStreamBytes());
        expect(encoder.blockingStreamCount).toBeLessThanOrEqual(setup.blockedStreams);
        break;
      }
      case "encoder-bytes":
        deliverEncoder(command.n);
        break;
      case "section": {
        const ready = streams.filter((s) => undelivered.get(s)!.length > 0);
        if (ready.length > 0) deliverSection(ready[command.pick % ready.length]!);
        break;
      }
      case "feedback":
        feedback(command.n);
        break;
      case "cancel": {
        if (streams.length === 0) break;
        const [streamId] = streams.splice(command.pick % streams.length, 1) as [number];
        undelivered.delete(streamId);
        awaiting.delete(streamId);
        decoder.cancelStream(streamId);
        seen.cancelled++;
        break;
      }
    }
    expect(decoder.tableSize).toBeLessThanOrEqual(decoder.tableCapacity);
    expect(decoder.blockedStreamCount).toBeLessThanOrEqual(setup.blockedStreams);
  }
  // Drain: all encoder bytes, every section, then acknowledgments until both sides are quiet.
  deliverEncoder(encoderBytes.length);
  for (const streamId of streams) while (undelivered.get(streamId)!.length > 0) deliverSection(streamId);
  for (const [streamId, queue] of awaiting) expect(queue, `stream ${streamId} still waits`).toEqual([]);
  expect(decoder.blockedStreamCount).toBe(0);
  feedback(Number.MAX_SAFE_INTEGER);
  expect(encoder.knownReceivedCount).toBe(encoder.insertCount);
  expect(encoder.blockingStreamCount).toBe(0);
  if (setup.decoderCapacity > 0 && setup.decoderCapacity <= 100) seen.insertsIntoTinyTables += encoder.insertCount;
  if (decoder.entry(0) === undefined && decoder.insertCount > 0) seen.evictions++;
}

describe("QPACK encoder and decoder together", () => {
  test("random header lists, capacities, limits and deliveries decode exactly", () => {
    fc.assert(
      fc.property(setupArb, fc.array(commandArb, { maxLength: 60 }), (setup, commands) => run(setup, commands)),
      { numRuns: 400 },
    );
    expect(seen.blocked).toBeGreaterThan(0);
    expect(seen.unblocked).toBeGreaterThan(0);
    expect(seen.insertsIntoTinyTables).toBeGreaterThan(0);
    expect(seen.cancelled).toBeGreaterThan(0);
  });

  test("a long connection with a small table wraps the Required Insert Count many times, evicting all along", () => {
    seen.evictions = 0;
    fc.assert(
      fc.property(fc.constantFrom(64, 100, 220), fc.array(commandArb, { minLength: 200, maxLength: 300 }), (capacity, commands) =>
        run({ decoderCapacity: capacity, encoderCapacity: 4096, blockedStreams: 2, huffman: true }, commands),
      ),
      { numRuns: 30 },
    );
    expect(seen.evictions).toBeGreaterThan(20); // of 30 runs
  });

  test("repeated headers are indexed: the second request is a few bytes", () => {
    const encoder = new QpackEncoder();
    const decoder = new QpackDecoder();
    encoder.applyPeerSettings({ maxTableCapacity: 4096, blockedStreams: 16 });
    const request: Field[] = [
      { name: ":method", value: "GET" },
      { name: ":scheme", value: "https" },
      { name: ":authority", value: "example.com" },
      { name: ":path", value: "/a/long/path/to/something" },
      { name: "user-agent", value: "zsync-quic/0.1 (a user agent string)" },
      { name: "x-custom", value: "value" },
    ];
    const first = encoder.encodeFieldSection(0, request);
    decoder.receiveEncoderStream(encoder.takeEncoderStreamBytes());
    expect(decoder.decodeFieldSection(0, first)).toEqual({ status: "decoded", fields: request });
    encoder.receiveDecoderStream(decoder.takeDecoderStreamBytes());
    const second = encoder.encodeFieldSection(4, request);
    expect(encoder.takeEncoderStreamBytes().length).toBe(0);
    expect(second.length).toBeLessThanOrEqual(2 + request.length);
    expect(decoder.decodeFieldSection(4, second)).toEqual({ status: "decoded", fields: request });
  });

  test("with no blocked streams allowed, nothing unacknowledged is referenced", () => {
    const encoder = new QpackEncoder();
    const decoder = new QpackDecoder({ maxBlockedStreams: 0 });
    encoder.applyPeerSettings({ maxTableCapacity: 4096, blockedStreams: 0 });
    const fields: Field[] = [{ name: "x-custom", value: "value" }];
    // The insert is made, but the section must decode without it.
    const section = encoder.encodeFieldSection(0, fields);
    expect(encoder.takeEncoderStreamBytes().length).toBeGreaterThan(0);
    expect(decoder.decodeFieldSection(0, section)).toEqual({ status: "decoded", fields });
  });

  test("sensitive lines are never inserted and carry the N bit", () => {
    const encoder = new QpackEncoder();
    encoder.applyPeerSettings({ maxTableCapacity: 4096, blockedStreams: 16 });
    encoder.takeEncoderStreamBytes();
    const decoder = new QpackDecoder();
    const section = encoder.encodeFieldSection(0, [
      { name: "authorization", value: "Bearer secret" },
      { name: "x-token", value: "t", sensitive: true },
      { name: "cookie", value: "a=1" },
    ]);
    expect(encoder.insertCount).toBe(0);
    expect(encoder.takeEncoderStreamBytes().length).toBe(0);
    expect(decoder.decodeFieldSection(0, section)).toEqual({
      status: "decoded",
      fields: [
        { name: "authorization", value: "Bearer secret", sensitive: true },
        { name: "x-token", value: "t", sensitive: true },
        { name: "cookie", value: "a=1", sensitive: true },
      ],
    });
  });

  test("the encoder refuses strings that are not byte strings, and bad stream IDs", () => {
    const encoder = new QpackEncoder();
    expect(() => encoder.encodeFieldSection(0, [{ name: "x", value: "\u20ac" }])).toThrow(/fields\[0\]\.value/);
    expect(() => encoder.encodeFieldSection(-1, [])).toThrow(RangeError);
    expect(() => new QpackEncoder({ maxTableCapacity: -1 })).toThrow(RangeError);
    encoder.applyPeerSettings({ maxTableCapacity: 0, blockedStreams: 0 });
    expect(() => encoder.applyPeerSettings({ maxTableCapacity: 0, blockedStreams: 0 })).toThrow(TypeError);
  });
});
