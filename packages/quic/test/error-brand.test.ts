import { describe, expect, test } from "vitest";
import { assertBrandedClasses } from "../../../tools/test-support/error-brands.mjs";
import {
  QuicApplicationClosedError,
  QuicConnectionClosedError,
  QuicEndpointClosedError,
  QuicError,
  QuicIdleTimeoutError,
  QuicStreamClosedError,
  QuicStreamResetError,
  QuicStreamStoppedError,
  QuicTransportClosedError,
} from "../src/index.js";
import { DatagramError } from "../src/proto/connection/datagrams.js";
import { StreamStateError } from "../src/proto/connection/streams.js";
import { PacketDecodeError, QuicConfigError, TransportError, TransportErrorCode } from "../src/proto/index.js";

// Type level (checked by `typecheck`): `code` is a literal in every class, so
// a switch over a union of error classes narrows to the class in each case.
function describeError(error: QuicStreamResetError | QuicTransportClosedError | QuicEndpointClosedError | TransportError): string {
  switch (error.code) {
    case "ZSYNC_QUIC_STREAM_RESET":
      return `stream ${error.streamId}`; // only QuicStreamResetError has `streamId`
    case "ZSYNC_QUIC_TRANSPORT_CLOSED":
      return `remote ${error.remote}`; // QuicTransportClosedError
    case "ZSYNC_QUIC_TRANSPORT":
      return error.reason; // TransportError's `reason` is a string
    case "ZSYNC_QUIC_ENDPOINT_CLOSED":
      return "endpoint";
    // @ts-expect-error: not a code of any class in the union
    case "ZSYNC_QUIC_IDLE_TIMEOUT":
      return "impossible";
  }
}

// ...and a QuicConnectionClosedError's code is one of the five ways a connection ends.
function closedKind(error: QuicConnectionClosedError): "app" | "transport" | "idle" | "other" {
  switch (error.code) {
    case "ZSYNC_QUIC_APPLICATION_CLOSED":
      return "app";
    case "ZSYNC_QUIC_TRANSPORT_CLOSED":
      return "transport";
    case "ZSYNC_QUIC_IDLE_TIMEOUT":
      return "idle";
    case "ZSYNC_QUIC_VERSION_MISMATCH":
    case "ZSYNC_QUIC_STATELESS_RESET":
      return "other";
    // @ts-expect-error: a stream error is not a connection close
    case "ZSYNC_QUIC_STREAM_RESET":
      return "other";
  }
}

const classes = [
  [TransportError, new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, "bad")],
  [PacketDecodeError, new PacketDecodeError("short")],
  [QuicConfigError, new QuicConfigError("ackDelayExponent", "too big")],
  [StreamStateError, new StreamStateError(4, "unknown")],
  [DatagramError, new DatagramError("too big")],
  [QuicApplicationClosedError, new QuicApplicationClosedError({ kind: "application", errorCode: 7, reason: "bye", remote: true })],
  [
    QuicTransportClosedError,
    QuicConnectionClosedError.from({ kind: "transport", errorCode: 1, frameType: undefined, reason: "", remote: false }),
  ],
  [QuicIdleTimeoutError, QuicConnectionClosedError.from({ kind: "idle-timeout" })],
  [QuicStreamResetError, new QuicStreamResetError(0, 3)],
  [QuicStreamStoppedError, new QuicStreamStoppedError(0, 3)],
  [QuicStreamClosedError, new QuicStreamClosedError(0, "ended")],
  [QuicEndpointClosedError, new QuicEndpointClosedError()],
  [QuicConnectionClosedError, QuicConnectionClosedError.from({ kind: "version-mismatch", versions: [1] })],
] as const;

describe("quic errors", () => {
  test("a switch on code reaches the narrowed class's fields", () => {
    expect(describeError(new QuicStreamResetError(8, 1))).toBe("stream 8");
    expect(describeError(new TransportError(TransportErrorCode.FLOW_CONTROL_ERROR, "over"))).toBe("over");
    expect(closedKind(QuicConnectionClosedError.from({ kind: "stateless-reset" }))).toBe("other");
  });

  test("every class carries its own brand, so instanceof holds across installed copies of the package", () => {
    // The core may not import the runtime, so QuicError is the base here; another copy's instance carries its brand too.
    assertBrandedClasses("@zsync/quic", classes, {
      bases: [QuicError, Error],
      parents: [QuicConnectionClosedError],
      foreignBases: [QuicError],
    });
  });

  test("an unrelated class of the same name and code does not match", () => {
    class PacketDecodeError extends Error {
      readonly code = "ZSYNC_QUIC_PACKET";
    }
    expect(new PacketDecodeError() instanceof QuicError).toBe(false);
  });
});
