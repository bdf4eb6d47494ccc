/**
 * The envelope header (src/bulk/envelope.ts) byte by byte: what
 * `parseEnvelopeHeader` refuses, with which message, at which boundary, and
 * how many bytes `envelopeHeaderLength` asks a stream reader to wait for.
 */
import { describe, expect, test } from "vitest";
import {
  CHUNKED_HEADER_LENGTH,
  encodeChunkedHeader,
  encodeSingleHeader,
  envelopeHeaderLength,
  MAX_CHUNK_LOG2,
  MIN_CHUNK_LOG2,
} from "../src/bulk/envelope.js";
import { AEAD_PARAMS, type AeadAlgorithm, EnvelopeFormatError, parseEnvelopeHeader } from "../src/index.js";

const ALGORITHMS: AeadAlgorithm[] = ["aes-128-gcm", "aes-256-gcm", "chacha20-poly1305", "xchacha20-poly1305"];
const salt = new Uint8Array(32).map((_, i) => i + 1);

function refusal(bytes: Uint8Array, parse: (b: Uint8Array) => unknown = parseEnvelopeHeader): string {
  try {
    parse(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvelopeFormatError);
    return (error as Error).message;
  }
  return expect.fail("expected EnvelopeFormatError");
}

describe("the fixed prefix", () => {
  test("fewer than 5 bytes are too short; 5 bytes of a good prefix are enough for envelopeHeaderLength", () => {
    expect(refusal(Uint8Array.of(0x5a, 0x43, 1, 1), envelopeHeaderLength)).toBe(
      "envelope too short: 4 bytes, the header alone is at least 5",
    );
    expect(refusal(new Uint8Array(0))).toBe("envelope too short: 0 bytes, the header alone is at least 5");
    expect(envelopeHeaderLength(Uint8Array.of(0x5a, 0x43, 1, 1, 1))).toBe(CHUNKED_HEADER_LENGTH);
  });

  test("either magic byte wrong is not an envelope", () => {
    for (const prefix of [
      [0x5b, 0x43],
      [0x5a, 0x44],
    ])
      expect(refusal(Uint8Array.of(...prefix, 1, 1, 0, ...new Uint8Array(12)))).toBe("not a zsync envelope: bad magic bytes");
  });

  test("another version is refused, naming both", () => {
    expect(refusal(Uint8Array.of(0x5a, 0x43, 2, 1, 0, ...new Uint8Array(12)))).toBe(
      "unsupported envelope version 2 (this library reads version 1)",
    );
  });

  test("algorithm ids 1 to 4 are known, 0 and 5 are not", () => {
    for (const id of [0, 5])
      expect(refusal(Uint8Array.of(0x5a, 0x43, 1, id, 0, ...new Uint8Array(24)))).toBe(`unknown envelope algorithm id ${id}`);
    expect(ALGORITHMS.map((a) => parseEnvelopeHeader(encodeSingleHeader(a, new Uint8Array(AEAD_PARAMS[a].nonceLength))).algorithm)).toEqual(
      ALGORITHMS,
    );
  });

  test("modes 0 and 1 are known, 2 is not", () => {
    expect(refusal(Uint8Array.of(0x5a, 0x43, 1, 1, 2, ...new Uint8Array(40)))).toBe("unknown envelope mode 2");
  });

  test("a non-byte input is refused by name", () => {
    expect(() => parseEnvelopeHeader("ZC" as unknown as Uint8Array)).toThrow(/envelope/);
  });
});

describe("single-shot headers", () => {
  test.each(ALGORITHMS)("%s: 5 bytes plus the nonce; one byte less is truncated", (algorithm) => {
    const nonceLength = AEAD_PARAMS[algorithm].nonceLength;
    const nonce = new Uint8Array(nonceLength).map((_, i) => 0xa0 + i);
    const header = encodeSingleHeader(algorithm, nonce);
    expect(envelopeHeaderLength(header.subarray(0, 5))).toBe(5 + nonceLength);
    expect(parseEnvelopeHeader(header)).toEqual({ mode: "single", algorithm, nonce, headerLength: 5 + nonceLength });
    expect(refusal(header.subarray(0, header.length - 1))).toBe(
      `envelope truncated inside its header (${4 + nonceLength} of ${5 + nonceLength} bytes)`,
    );
  });
});

describe("chunked headers", () => {
  test("38 bytes; one byte less is truncated", () => {
    const header = encodeChunkedHeader("aes-256-gcm", 65536, salt);
    expect(parseEnvelopeHeader(header)).toEqual({ mode: "chunked", algorithm: "aes-256-gcm", chunkSize: 65536, salt, headerLength: 38 });
    expect(refusal(header.subarray(0, 37))).toBe("envelope truncated inside its header (37 of 38 bytes)");
  });

  test("chunk sizes 2^10 through 2^24 are accepted, 2^9 and 2^25 are not", () => {
    for (const log2 of [MIN_CHUNK_LOG2, MAX_CHUNK_LOG2])
      expect(parseEnvelopeHeader(encodeChunkedHeader("aes-128-gcm", 2 ** log2, salt))).toMatchObject({ chunkSize: 2 ** log2 });
    for (const log2 of [MIN_CHUNK_LOG2 - 1, MAX_CHUNK_LOG2 + 1])
      expect(refusal(encodeChunkedHeader("aes-128-gcm", 2 ** log2, salt))).toBe(`chunk size 2^${log2} outside the allowed 2^10..2^24`);
  });
});
