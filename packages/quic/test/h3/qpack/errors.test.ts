import { describe, expect, test } from "vitest";
import { assertBrandedClasses } from "../../../../../tools/test-support/error-brands.mjs";
import {
  QpackDecoderStreamError,
  QpackDecompressionError,
  QpackEncoderStreamError,
  QpackError,
  QpackFieldSectionTooLargeError,
  QpackH3ErrorCode,
} from "../../../src/h3/qpack/errors.js";

// Type level (checked by `typecheck`): a switch over `code` narrows to the class.
function describeError(error: QpackDecompressionError | QpackFieldSectionTooLargeError | QpackEncoderStreamError): string {
  switch (error.code) {
    case "ZSYNC_QUIC_QPACK_FIELD_SECTION_TOO_LARGE":
      return `stream ${error.streamId}`; // only the too-large error has a stream
    case "ZSYNC_QUIC_QPACK_DECOMPRESSION_FAILED":
    case "ZSYNC_QUIC_QPACK_ENCODER_STREAM":
      return error.reason;
    // @ts-expect-error: not a code of any class in the union
    case "ZSYNC_QUIC_QPACK_DECODER_STREAM":
      return "impossible";
  }
}

const classes = [
  [QpackDecompressionError, new QpackDecompressionError("bad")],
  [QpackEncoderStreamError, new QpackEncoderStreamError("bad")],
  [QpackDecoderStreamError, new QpackDecoderStreamError("bad")],
  [QpackFieldSectionTooLargeError, new QpackFieldSectionTooLargeError(4, 100)],
] as const;

describe("QPACK errors", () => {
  test("each carries its stable code and the RFC 9204 §6 HTTP/3 error code", () => {
    expect(new QpackDecompressionError("x")).toMatchObject({
      code: "ZSYNC_QUIC_QPACK_DECOMPRESSION_FAILED",
      h3ErrorCode: 0x200,
      reason: "x",
    });
    expect(new QpackEncoderStreamError("x")).toMatchObject({ code: "ZSYNC_QUIC_QPACK_ENCODER_STREAM", h3ErrorCode: 0x201 });
    expect(new QpackDecoderStreamError("x")).toMatchObject({ code: "ZSYNC_QUIC_QPACK_DECODER_STREAM", h3ErrorCode: 0x202 });
    expect(new QpackFieldSectionTooLargeError(4, 100)).toMatchObject({
      code: "ZSYNC_QUIC_QPACK_FIELD_SECTION_TOO_LARGE",
      h3ErrorCode: QpackH3ErrorCode.H3_MESSAGE_ERROR,
      streamId: 4,
      limit: 100,
      name: "QpackFieldSectionTooLargeError",
    });
    expect(describeError(new QpackFieldSectionTooLargeError(8, 1))).toBe("stream 8");
    const cause = new Error("inner");
    expect(new QpackDecompressionError("x", { cause }).cause).toBe(cause);
  });

  test("every class carries its own brand, so instanceof holds across installed copies of the package", () => {
    assertBrandedClasses("@zsync/quic", classes, { bases: [QpackError, Error], foreignBases: [QpackError] });
  });

  test("an unrelated class of the same name and code does not match", () => {
    class QpackDecompressionError extends Error {
      readonly code = "ZSYNC_QUIC_QPACK_DECOMPRESSION_FAILED";
    }
    expect(new QpackDecompressionError() instanceof QpackError).toBe(false);
  });
});
