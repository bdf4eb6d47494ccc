/**
 * Handshake reassembly under the worst fragment pattern a peer may still
 * use: one 128 KiB handshake message (MAX_HANDSHAKE_MESSAGE) cut into 1024
 * plaintext records of 128 bytes (MAX_HANDSHAKE_FRAGMENTS), fed to a server
 * `TlsConnection` in one chunk, against the same message in 2^14-byte
 * records. The message is a Certificate, which a server waiting for a
 * ClientHello refuses once it is whole, so only record parsing and
 * reassembly are timed (no handshake crypto). A finer cut (e.g. 1-byte
 * records) is refused after 1024 records, so it costs less than this.
 *
 * @example
 * ```ts
 * import { runSuite } from "@zsync/bench-harness";
 * import { fragmentCases } from "./handshake-fragments.js";
 * await runSuite("crypto-tls", fragmentCases);
 * ```
 * @module
 */
import { type BenchCase, timed } from "@zsync/bench-harness";
import { TlsError } from "../src/tls/errors.js";
import { TlsServerEngine } from "../src/tls/handshake/server.js";
import { generateSelfSignedCertificate } from "../src/tls/pki/certificate-generator.js";
import { TlsConnection } from "../src/tls/stream/tls-connection.js";
import { MAX_HANDSHAKE_FRAGMENTS, MAX_HANDSHAKE_MESSAGE } from "../src/tls/wire/messages.js";

/** `message` as plaintext handshake records of `size` bytes, concatenated. */
function records(message: Uint8Array, size: number): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < message.length; at += size) {
    const body = message.subarray(at, Math.min(message.length, at + size));
    parts.push(Uint8Array.of(22, 3, 1, body.length >> 8, body.length & 0xff), body);
  }
  return Buffer.concat(parts);
}

/** The largest allowed handshake message (a Certificate), whole. */
function largestMessage(): Uint8Array {
  const message = new Uint8Array(MAX_HANDSHAKE_MESSAGE);
  const length = message.length - 4;
  message.set([11, length >> 16, (length >> 8) & 0xff, length & 0xff]);
  return message;
}

/** The TLS handshake-reassembly case (µs per 128 KiB message; lower is better). */
export function fragmentCases(): BenchCase[] {
  const cert = generateSelfSignedCertificate();
  const options = { credentials: { certificate: cert.certificatePem, privateKey: cert.privateKeyPem } };
  const message = largestMessage();
  const fragment = Math.ceil(message.length / MAX_HANDSHAKE_FRAGMENTS);
  const worst = records(message, fragment);
  const normal = records(message, 1 << 14);
  /** Feeds one stream to a fresh server; it must refuse the whole (unexpected) message, proving it was reassembled. */
  const feed = (stream: Uint8Array) => (): void => {
    const server = new TlsConnection(new TlsServerEngine(options));
    try {
      server.receive(stream);
    } catch (error) {
      if (error instanceof TlsError && error.alertName === "unexpected_message") return;
      throw error;
    }
    throw new Error("the server did not refuse the reassembled message");
  };
  return [
    timed({
      name: `TLS handshake reassembly: 128 KiB message in ${MAX_HANDSHAKE_FRAGMENTS} records of ${fragment} B (worst allowed cut)`,
      report: "latency",
      ours: feed(worst),
      anchor: { name: "same message in 2^14 B records", fn: feed(normal) },
      rounds: 5,
    }),
  ];
}
