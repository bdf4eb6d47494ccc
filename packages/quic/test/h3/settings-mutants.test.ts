/**
 * SETTINGS (RFC 9114 §7.2.4): what the mutation run of `settings.ts` found
 * untested: the exact bytes written, which settings are left out because
 * they hold their default, the refusals' reasons, and values above 2^53.
 */
import { describe, expect, it } from "vitest";
import { Http3Error, Http3FrameError, Http3SettingsError } from "../../src/h3/errors.js";
import { DEFAULT_SETTINGS, encodeSettingsFrame, parseSettings } from "../../src/h3/settings.js";

/** The error `fn` throws: its class and reason. */
function refusal(fn: () => unknown): { kind: string; reason: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof Http3Error) return { kind: error.constructor.name, reason: error.reason };
    throw error;
  }
  throw new Error("did not throw");
}

describe("encodeSettingsFrame", () => {
  it("writes only the settings that differ from their defaults, then the reserved setting 0x21 = 0 by default", () => {
    expect([...encodeSettingsFrame({})]).toEqual([0x04, 0x02, 0x21, 0x00]);
    expect([...encodeSettingsFrame({ qpackMaxTableCapacity: 0, qpackBlockedStreams: 0 })]).toEqual([0x04, 0x02, 0x21, 0x00]);
    expect([...encodeSettingsFrame({ maxFieldSectionSize: Number.POSITIVE_INFINITY })]).toEqual([0x04, 0x02, 0x21, 0x00]);
  });

  it("writes capacity, field section size and blocked streams in that order, each id then value", () => {
    expect([...encodeSettingsFrame({ qpackMaxTableCapacity: 5, qpackBlockedStreams: 7, maxFieldSectionSize: 0 }, 1)]).toEqual([
      0x04, 0x09, 0x01, 0x05, 0x06, 0x00, 0x07, 0x07, 0x40, 0x40, 0x00,
    ]);
  });

  it("a maximum field section size of 0 is a real limit and is written", () => {
    expect(parseSettings(encodeSettingsFrame({ maxFieldSectionSize: 0 }).subarray(2)).maxFieldSectionSize).toBe(0);
  });

  it("refuses a value that is no varint with a RangeError naming the setting and the value", () => {
    expect(() => encodeSettingsFrame({ qpackMaxTableCapacity: -4 })).toThrow(
      new RangeError("setting 0x1: -4 is not a non-negative integer"),
    );
    expect(() => encodeSettingsFrame({ qpackBlockedStreams: 1.5 })).toThrow(
      new RangeError("setting 0x7: 1.5 is not a non-negative integer"),
    );
    expect(() => encodeSettingsFrame({ maxFieldSectionSize: 2 ** 60 })).toThrow(
      new RangeError(`setting 0x6: ${2 ** 60} is not a non-negative integer`),
    );
  });
});

describe("parseSettings", () => {
  it("a peer that sent no SETTINGS yet has the initial values of §7.2.4.2, the same an empty SETTINGS gives", () => {
    expect(DEFAULT_SETTINGS).toEqual({ qpackMaxTableCapacity: 0, qpackBlockedStreams: 0, maxFieldSectionSize: Number.POSITIVE_INFINITY });
    expect(parseSettings(new Uint8Array(0))).toEqual(DEFAULT_SETTINGS);
  });

  it("each known identifier sets its own field", () => {
    expect(parseSettings(new Uint8Array([0x01, 0x09]))).toEqual({
      qpackMaxTableCapacity: 9,
      qpackBlockedStreams: 0,
      maxFieldSectionSize: Infinity,
    });
    expect(parseSettings(new Uint8Array([0x07, 0x09]))).toEqual({
      qpackMaxTableCapacity: 0,
      qpackBlockedStreams: 9,
      maxFieldSectionSize: Infinity,
    });
    expect(parseSettings(new Uint8Array([0x06, 0x09]))).toEqual({
      qpackMaxTableCapacity: 0,
      qpackBlockedStreams: 0,
      maxFieldSectionSize: 9,
    });
  });

  it("a value above 2^53 reads as Number.MAX_SAFE_INTEGER", () => {
    const max62 = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    expect(parseSettings(new Uint8Array([0x06, ...max62])).maxFieldSectionSize).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseSettings(new Uint8Array([0x01, 0x80, 0x00, 0x40, 0x00])).qpackMaxTableCapacity).toBe(0x4000);
  });

  it("ignores unknown identifiers and the identifiers next to HTTP/2's reserved range", () => {
    expect(parseSettings(new Uint8Array([0x00, 0x01, 0x08, 0x02, 0x40, 0x21, 0x03]))).toEqual({
      qpackMaxTableCapacity: 0,
      qpackBlockedStreams: 0,
      maxFieldSectionSize: Infinity,
    });
  });

  it("says why it refuses: truncation (H3_FRAME_ERROR), a repeated or HTTP/2 setting (H3_SETTINGS_ERROR)", () => {
    expect(refusal(() => parseSettings(new Uint8Array([0x40])))).toEqual({
      kind: Http3FrameError.name,
      reason: "SETTINGS payload ends inside a setting identifier",
    });
    expect(refusal(() => parseSettings(new Uint8Array([0x01, 0x40])))).toEqual({
      kind: Http3FrameError.name,
      reason: "SETTINGS payload ends inside a setting value",
    });
    expect(refusal(() => parseSettings(new Uint8Array([0x06, 0x01, 0x01, 0x00, 0x06, 0x02])))).toEqual({
      kind: Http3SettingsError.name,
      reason: "setting 0x6 appears twice",
    });
    for (const id of [0x02, 0x03, 0x04, 0x05]) {
      expect(refusal(() => parseSettings(new Uint8Array([id, 0x00])))).toEqual({
        kind: Http3SettingsError.name,
        reason: `setting 0x${id} is HTTP/2-only and reserved in HTTP/3`,
      });
    }
  });
});
