/**
 * The §7.3 checks a client applies to the server's connection-ID transport
 * parameters once Retry is involved (RFC 9000 §7.3, §18.2): after a Retry,
 * retry_source_connection_id must be present and equal the Retry's Source
 * Connection ID; without one it must be absent. Any other case is
 * TRANSPORT_PARAMETER_ERROR.
 */
import { describe, expect, it } from "vitest";
import { validatePeerTransportParameters } from "../../src/proto/connection/transport-params.js";
import { TransportError, TransportErrorCode } from "../../src/proto/errors.js";
import { encodeTransportParameters } from "../../src/proto/wire/transport-parameters.js";

const ODCID = Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1]);
const SERVER_SCID = Uint8Array.from([2, 2, 2, 2, 2, 2, 2, 2]);
const RETRY_SCID = Uint8Array.from([3, 3, 3, 3, 3, 3, 3, 3]);

function serverParams(retrySourceConnectionId?: Uint8Array): Uint8Array {
  return encodeTransportParameters({
    originalDestinationConnectionId: ODCID,
    initialSourceConnectionId: SERVER_SCID,
    ...(retrySourceConnectionId === undefined ? {} : { retrySourceConnectionId }),
  });
}

function check(data: Uint8Array, retrySourceConnectionId: Uint8Array | undefined): unknown {
  try {
    validatePeerTransportParameters(data, {
      peerSide: "server",
      originalDestinationConnectionId: ODCID,
      peerSourceConnectionId: SERVER_SCID,
      retrySourceConnectionId,
    });
    return "ok";
  } catch (error) {
    expect(error).toBeInstanceOf(TransportError);
    return (error as TransportError).errorCode;
  }
}

describe("retry_source_connection_id (§7.3)", () => {
  it("after a Retry: accepted when equal to the Retry's SCID", () => {
    expect(check(serverParams(RETRY_SCID), RETRY_SCID)).toBe("ok");
  });
  it("after a Retry: missing is TRANSPORT_PARAMETER_ERROR", () => {
    expect(check(serverParams(), RETRY_SCID)).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  });
  it("after a Retry: another value is TRANSPORT_PARAMETER_ERROR (a Retry injected by an attacker)", () => {
    expect(check(serverParams(SERVER_SCID), RETRY_SCID)).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  });
  it("without a Retry: present is TRANSPORT_PARAMETER_ERROR, absent is fine", () => {
    expect(check(serverParams(RETRY_SCID), undefined)).toBe(TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
    expect(check(serverParams(), undefined)).toBe("ok");
  });
});
