/**
 * Config validation: every limit RFC 9000 §18.2 puts on a transport
 * parameter is refused locally with a QuicConfigError naming the setting,
 * before it could reach the wire as a TRANSPORT_PARAMETER_ERROR.
 */
import { describe, expect, it } from "vitest";
import {
  DEFAULT_TRANSPORT_CONFIG,
  QuicConfigError,
  resolveClientConfig,
  resolveEndpointConfig,
  resolveServerConfig,
  resolveTransportConfig,
} from "../../src/proto/config.js";

function settingOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof QuicConfigError) return error.setting;
    throw error;
  }
  return undefined;
}

describe("resolveTransportConfig", () => {
  it("fills defaults and freezes the result", () => {
    const c = resolveTransportConfig({ maxIdleTimeout: 5000, initialMaxData: undefined });
    expect(c.maxIdleTimeout).toBe(5000);
    expect(c.initialMaxData).toBe(DEFAULT_TRANSPORT_CONFIG.initialMaxData);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it.each([
    ["ackDelayExponent", 21], // §18.2: values above 20 are invalid
    ["maxAckDelay", 2 ** 14], // §18.2: 2^14 or greater are invalid
    ["activeConnectionIdLimit", 1], // §18.2: at least 2
    ["maxUdpPayloadSize", 1199], // §18.2: below 1200 is invalid
    ["initialMaxStreamsBidi", 2 ** 60 + 1], // §4.6: not encodable as a stream ID
    ["initialMaxData", -1],
    ["initialMaxData", 1.5],
    ["maxIdleTimeout", Number.NaN],
    ["initialRtt", 0],
    ["aeadConfidentialityLimit", 15], // fewer packets per key than a key update's round trip needs
    ["aeadIntegrityLimit", 0],
    ["congestionControl", "bbr"],
  ] as const)("refuses %s = %d", (setting, value) => {
    expect(settingOf(() => resolveTransportConfig({ [setting]: value }))).toBe(setting);
  });

  it("keeps the send size within what we accept", () => {
    expect(settingOf(() => resolveTransportConfig({ maxUdpPayloadSize: 1300, maxDatagramSize: 1400 }))).toBe("maxDatagramSize");
  });
});

describe("endpoint, client and server configs", () => {
  const random = (out: Uint8Array): void => {
    out.fill(7);
  };

  it("endpoint: CID length 0..20 (RFC 9000 §17.2), at least one version", () => {
    expect(resolveEndpointConfig({ random }).cidLength).toBe(8);
    expect(settingOf(() => resolveEndpointConfig({ random, cidLength: 21 }))).toBe("cidLength");
    expect(settingOf(() => resolveEndpointConfig({ random, versions: [] }))).toBe("versions");
  });

  it("client and server require ALPN (RFC 9001 §8.1)", () => {
    expect(settingOf(() => resolveClientConfig({ tls: { serverName: "localhost" } }))).toBe("tls.alpnProtocols");
    expect(settingOf(() => resolveServerConfig({ tls: { credentials: { certificate: "", privateKey: "" }, alpnProtocols: [] } }))).toBe(
      "tls.alpnProtocols",
    );
    const client = resolveClientConfig({ tls: { serverName: "localhost", alpnProtocols: ["zq"] }, transport: { maxAckDelay: 10 } });
    expect(client.transport.maxAckDelay).toBe(10);
    expect(client.version).toBe(1);
  });
});
