/**
 * What a validated address buys (RFC 9000 §8.1): a server whose client
 * presented a valid token is not held to three times the bytes received,
 * so a large first flight goes out even when every later client datagram
 * is lost; without a token the limit holds. And Retry works the same for
 * QUIC version 2 (RFC 9369 §3.3.3: its own integrity key and type bits).
 */

import { generateCertificate } from "@zsync/crypto/tls";
import { describe, expect, it } from "vitest";
import { resolveClientConfig } from "../../src/proto/config.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { SimNetwork } from "../proto/sim-network.js";
import { ALPN, clientConfig, serverConfig, testPki } from "../proto/support.js";
import { seededBytes, ValidationHost } from "./support.js";

const SERVER = { address: "198.51.100.1", port: 4433 };

describe("anti-amplification and tokens (§8.1)", () => {
  // A certificate with many names: a server flight far larger than 3 x 1200 bytes.
  const bigLeaf = generateCertificate({
    issuer: testPki().ca,
    subjectAltNames: ["localhost", ...Array.from({ length: 120 }, (_, i) => `host-${i}.a-rather-long-subdomain.example.net`)],
  });

  function run(withToken: boolean): { received: number; sent: number } {
    const net = new SimNetwork({ seed: 21, link: { delay: 10 } });
    net.add(new ValidationHost(SERVER, seededBytes(22), serverConfig(undefined, {}, bigLeaf), {}));
    const first = net.add(new ValidationHost({ address: "192.0.2.1", port: 50_000 }, seededBytes(23), undefined));
    const tls = { groups: ["x25519" as const] }; // a one-datagram ClientHello
    const c1 = first.connect(net.now, clientConfig(undefined, {}, tls), SERVER);
    net.run(() => first.eventsOf(c1, "new-token").length > 0);
    const token = withToken ? first.eventsOf(c1, "new-token")[0]!.token : undefined;
    // The next connection from the same IP: everything after its first datagram is lost.
    const second = { address: "192.0.2.1", port: 50_001 };
    const client = net.add(new ValidationHost(second, seededBytes(24), undefined));
    net.setLink(second, SERVER, { delay: 10, dropList: Array.from({ length: 500 }, (_, i) => i + 2) });
    const from = net.trace.length;
    client.connect(net.now, clientConfig(undefined, {}, tls), SERVER, token);
    net.runFor(3000);
    const trace = net.trace.slice(from);
    const received = trace.filter((r) => r.from === second && r.fate === "delivered").reduce((n, r) => n + r.length, 0);
    const sent = trace.filter((r) => r.from === SERVER && r.to === second).reduce((n, r) => n + r.length, 0);
    return { received, sent };
  }

  it("without a token the server sends at most 3x what it received", () => {
    const { received, sent } = run(false);
    expect(received).toBe(1200);
    expect(sent).toBeLessThanOrEqual(3 * received);
  });

  it("with a valid NEW_TOKEN token the address is validated: the whole flight goes out", () => {
    const { received, sent } = run(true);
    expect(received).toBe(1200);
    expect(sent).toBeGreaterThan(3 * received);
  });
});

describe("Retry with QUIC version 2 (RFC 9369)", () => {
  it("completes a handshake through a v2 Retry", () => {
    const net = new SimNetwork({ seed: 31, link: { delay: 10 } });
    const server = net.add(new ValidationHost(SERVER, seededBytes(32), serverConfig(), { retry: true }, [QuicVersion.V2, QuicVersion.V1]));
    const client = net.add(new ValidationHost({ address: "192.0.2.1", port: 50_000 }, seededBytes(33), undefined, {}, [QuicVersion.V2]));
    const config = resolveClientConfig({
      tls: { serverName: "localhost", ca: testPki().ca.certificatePem, alpnProtocols: [ALPN] },
      version: QuicVersion.V2,
    });
    const conn = client.connect(net.now, config, SERVER);
    net.run(() => conn.isHandshakeConfirmed);
    expect(server.endpoint.stats.retries).toBeGreaterThanOrEqual(1);
    expect(conn.version).toBe(QuicVersion.V2);
    expect(conn.peerTransportParameters?.retrySourceConnectionId).toBeDefined();
  });
});
