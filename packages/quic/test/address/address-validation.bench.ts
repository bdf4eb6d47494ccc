/**
 * Costs of address validation and stateless reset (run with
 * `npx vitest bench --run test/address/address-validation.bench.ts` in
 * packages/quic): what a Retry costs a server per Initial, what a token
 * check costs, and what the per-datagram stateless-reset check costs a
 * connection. Figures are for the README, never asserted.
 */
import { bench, describe } from "vitest";
import { AddressTokenKey } from "../../src/proto/crypto/address-token.js";
import { matchesResetToken, StatelessResetKey } from "../../src/proto/crypto/stateless-reset.js";
import { writeRetryPacket } from "../../src/proto/endpoint/retry.js";
import { PacketHeader } from "../../src/proto/wire/packet-header.js";
import { QuicVersion } from "../../src/proto/wire/version.js";
import { PROVIDERS } from "../vectors/support.js";
import { seededBytes } from "./support.js";

const CLIENT = { address: "192.0.2.1", port: 50_000 };
const CID = new Uint8Array(8).fill(3);

for (const provider of PROVIDERS) {
  describe(`address validation, ${provider.name}`, () => {
    const tokens = new AddressTokenKey(provider, new Uint8Array(32).fill(1), seededBytes(1));
    const retryToken = tokens.issueRetry(0, CLIENT, CID, CID);
    const newToken = tokens.issueNewToken(0, CLIENT);
    const initial = new PacketHeader();
    initial.type = "initial";
    initial.long = true;
    initial.version = QuicVersion.V1;
    initial.dcid = CID;
    initial.scid = CID;
    const out = new Uint8Array(256);
    bench("issue a Retry token", () => {
      tokens.issueRetry(0, CLIENT, CID, CID);
    });
    bench("validate a Retry token", () => {
      tokens.validate(retryToken, 1, CLIENT);
    });
    bench("validate a NEW_TOKEN token", () => {
      tokens.validate(newToken, 1, CLIENT);
    });
    bench("build a Retry packet (token + integrity tag)", () => {
      writeRetryPacket(provider, out, initial, CID, tokens.issueRetry(0, CLIENT, CID, CID), 0);
    });
    const resets = new StatelessResetKey(provider, new Uint8Array(32).fill(2));
    bench("derive a stateless reset token", () => {
      resets.token(CID);
    });
  });
}

describe("stateless reset detection", () => {
  const token = new Uint8Array(16).fill(7);
  const datagram = new Uint8Array(1200);
  bench("compare a 1200-byte datagram's tail with a token", () => {
    matchesResetToken(datagram, token);
  });
});
