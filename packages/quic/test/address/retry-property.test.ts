/**
 * Property: whatever the delay, jitter, loss, reordering and duplication,
 * a client completes its handshake with a Retry-enforcing server (RFC 9000
 * §8.1.2): lost Retries, lost retried Initials, duplicated and reordered
 * Retries all end in one connection whose transport parameters carry the
 * Retry's connection IDs. `QUIC_PROPERTY_RUNS` raises the number of runs.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimNetwork } from "../proto/sim-network.js";
import { clientConfig, serverConfig } from "../proto/support.js";
import { seededBytes, ValidationHost } from "./support.js";

const RUNS = Number(process.env.QUIC_PROPERTY_RUNS ?? 20);
const CLIENT = { address: "192.0.2.1", port: 50_000 };
const SERVER = { address: "198.51.100.1", port: 4433 };

describe("Retry on any network", () => {
  it("always ends in exactly one confirmed connection authenticated with the followed Retry's IDs", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.record({
          delay: fc.integer({ min: 1, max: 60 }),
          jitter: fc.integer({ min: 0, max: 20 }),
          loss: fc.double({ min: 0, max: 0.2, noNaN: true }),
          reorder: fc.double({ min: 0, max: 0.1, noNaN: true }),
          duplicate: fc.double({ min: 0, max: 0.1, noNaN: true }),
        }),
        (seed, link) => {
          const net = new SimNetwork({ seed, link });
          const client = net.add(new ValidationHost(CLIENT, seededBytes(seed), undefined));
          const server = net.add(new ValidationHost(SERVER, seededBytes(~seed), serverConfig(), { retry: true }));
          const conn = client.connect(net.now, clientConfig(), SERVER);
          net.run(() => conn.isHandshakeConfirmed && server.connections[0]?.isHandshakeConfirmed === true, { maxTime: 120_000 });
          expect(server.connections).toHaveLength(1);
          expect(server.endpoint.stats.retries).toBeGreaterThanOrEqual(1);
          expect(server.endpoint.stats.invalidTokens).toBe(0);
          expect(conn.peerTransportParameters?.retrySourceConnectionId).toBeDefined();
        },
      ),
      { numRuns: RUNS },
    );
  }, 600_000); // a generous ceiling for soak runs on a shared machine, not a timing assertion
});
