/**
 * RFC 9204 §2.1.3: an encoder stream blocked by flow control. Inserting then
 * would only stall the request streams that reference the inserts (and grow
 * what waits to be sent), so past `maxEncoderStreamBacklog` unsent bytes the
 * encoder sends literals and references only what the table already holds.
 */
import { describe, expect, it } from "vitest";
import { QpackDecoder } from "../../../src/h3/qpack/decoder.js";
import { QpackEncoder } from "../../../src/h3/qpack/encoder.js";
import { getRequest, Pair } from "../pair.js";

const line = (i: number) => [{ name: `x-custom-${i}`, value: `a value worth indexing ${i}` }];

describe("QpackEncoder: encoder-stream backlog (RFC 9204 §2.1.3)", () => {
  it("stops inserting while the backlog is over the bound, and resumes when it drains", () => {
    const encoder = new QpackEncoder({ maxTableCapacity: 4096, maxEncoderStreamBacklog: 100 });
    encoder.applyPeerSettings({ maxTableCapacity: 4096, blockedStreams: 10 });
    encoder.encodeFieldSection(0, line(1));
    expect(encoder.insertCount).toBe(1);
    // The transport holds 100 unsent bytes: no room for another instruction.
    encoder.setEncoderStreamBacklog(100);
    const literal = encoder.encodeFieldSection(4, line(2));
    expect(encoder.insertCount).toBe(1);
    // What is already in the table is still referenced.
    const reference = encoder.encodeFieldSection(8, line(1));
    expect(reference.length).toBeLessThan(literal.length / 4);
    encoder.setEncoderStreamBacklog(0);
    encoder.encodeFieldSection(12, line(2));
    expect(encoder.insertCount).toBe(2);
    // What was written and not taken yet counts too.
    for (let i = 3; i < 10; i++) encoder.encodeFieldSection(16 + 4 * i, line(i));
    expect(encoder.takeEncoderStreamBytes().length).toBeLessThanOrEqual(100 + 64);
  });

  it("sections encoded under a backlog still decode", () => {
    const encoder = new QpackEncoder({ maxTableCapacity: 4096, maxEncoderStreamBacklog: 0 });
    const decoder = new QpackDecoder({ maxTableCapacity: 4096 });
    encoder.applyPeerSettings({ maxTableCapacity: 4096, blockedStreams: 10 });
    decoder.receiveEncoderStream(encoder.takeEncoderStreamBytes());
    const section = encoder.encodeFieldSection(0, line(1));
    expect(encoder.insertCount).toBe(0);
    expect(decoder.decodeFieldSection(0, section)).toEqual({ status: "decoded", fields: line(1) });
  });

  it("rejects a negative or fractional backlog", () => {
    const encoder = new QpackEncoder();
    expect(() => encoder.setEncoderStreamBacklog(-1)).toThrow(RangeError);
    expect(() => encoder.setEncoderStreamBacklog(1.5)).toThrow(RangeError);
    expect(() => new QpackEncoder({ maxEncoderStreamBacklog: -1 })).toThrow(RangeError);
  });

  it("Http3Connection passes the driver's backlog to its encoder", () => {
    const pair = new Pair();
    pair.pump();
    pair.client.setEncoderStreamBacklog(1 << 20);
    const headers = pair.client.sendRequestHeaders(0, getRequest("/", line(1)));
    expect(pair.client.qpackStats.encoderInserts).toBe(0);
    pair.pump();
    pair.send("client", 0, headers, true);
    pair.pump();
    expect(pair.take("server").find((e) => e.type === "request")).toMatchObject({ head: { fields: line(1) } });
    pair.client.setEncoderStreamBacklog(0);
    pair.client.sendRequestHeaders(4, getRequest("/", line(1)));
    expect(pair.client.qpackStats.encoderInserts).toBeGreaterThan(0);
  });
});
