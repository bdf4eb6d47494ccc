/**
 * TLS demo: generates a self-signed ECDSA P-256 certificate for localhost,
 * then runs a TLS 1.3 echo over loopback three ways: our client against our
 * server, our client against a node:tls server, and a node:tls client
 * against our server. Each run sends a few MiB, checks that the echo is
 * byte-identical (SHA-256), and prints the negotiated suite, group and ALPN
 * with the measured handshake time and echo throughput.
 *
 * @example
 * ```ts
 * import { tlsDemo } from "./tls-demo.js";
 * await tlsDemo();
 * ```
 * @module
 */
import { createHash, randomFillSync } from "node:crypto";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { generateSelfSignedCertificate, TlsListener, TlsStream } from "@zsync/crypto/tls";

const MiB = 1024 * 1024;
const ECHO_BYTES = 8 * MiB;
const WRITE_SIZE = 256 * 1024;
const ALPN = "zsync-echo";

interface EchoResult {
  readonly suite: string;
  readonly group: string;
  readonly alpn: string;
  readonly handshakeMs: number;
  readonly echoMs: number;
  readonly bytes: number;
  readonly matches: boolean;
}

const sha256 = (parts: readonly Uint8Array[]): string => {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  return hash.digest("hex");
};

function payload(): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < ECHO_BYTES; at += WRITE_SIZE) parts.push(randomFillSync(new Uint8Array(Math.min(WRITE_SIZE, ECHO_BYTES - at))));
  return parts;
}

function report(label: string, r: EchoResult): void {
  const rate = (r.bytes / MiB / (r.echoMs / 1000)).toFixed(1);
  console.log(`  ${label}`);
  console.log(`    negotiated ${r.suite}, group ${r.group}, ALPN ${r.alpn}; handshake ${r.handshakeMs.toFixed(1)} ms`);
  console.log(
    `    echoed ${(r.bytes / MiB).toFixed(0)} MiB in ${r.echoMs.toFixed(1)} ms (${rate} MiB/s each way), ${r.matches ? "byte-identical" : "MISMATCH"}`,
  );
}

/** Our server: echoes every byte back, then answers close_notify with its own. */
async function serveEchoOnce(listener: TlsListener): Promise<void> {
  await using stream = await listener.accept({ timeoutMs: 10_000 });
  for await (const chunk of stream) await stream.write(chunk);
  await stream.end();
}

/** Our client: writes the payload while reading the echo, and hashes both. */
async function echoThroughOurClient(port: number, ca: string): Promise<EchoResult> {
  const parts = payload();
  const started = performance.now();
  await using client = await TlsStream.connect({ port, serverName: "localhost", ca, alpnProtocols: [ALPN], timeoutMs: 10_000 });
  const handshakeMs = performance.now() - started;
  const echoStart = performance.now();
  const received: Uint8Array[] = [];
  const reading = (async () => {
    let got = 0;
    while (got < ECHO_BYTES) {
      const chunk = await client.read({ timeoutMs: 10_000 });
      if (chunk === null) break;
      received.push(chunk);
      got += chunk.length;
    }
    return got;
  })();
  for (const p of parts) await client.write(p);
  const bytes = await reading;
  const echoMs = performance.now() - echoStart;
  await client.end();
  return {
    suite: client.info.cipherSuite.name,
    group: client.info.group ?? "none",
    alpn: client.alpnProtocol ?? "none",
    handshakeMs,
    echoMs,
    bytes,
    matches: bytes === ECHO_BYTES && sha256(received) === sha256(parts),
  };
}

/** A node:tls client against `port`, echoing through our server. */
async function echoThroughNodeClient(port: number, ca: string): Promise<EchoResult> {
  const parts = payload();
  const started = performance.now();
  const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ca, ALPNProtocols: [ALPN], minVersion: "TLSv1.3" });
  await once(socket, "secureConnect");
  const handshakeMs = performance.now() - started;
  const echoStart = performance.now();
  const received: Buffer[] = [];
  let got = 0;
  const reading = new Promise<void>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      received.push(chunk);
      got += chunk.length;
      if (got >= ECHO_BYTES) resolve();
    });
    socket.once("error", reject);
    socket.once("end", () => resolve());
  });
  for (const p of parts) if (!socket.write(p)) await once(socket, "drain");
  await reading;
  const echoMs = performance.now() - echoStart;
  const cipher = socket.getCipher();
  const key = socket.getEphemeralKeyInfo();
  const group = key !== null && typeof key === "object" && "name" in key ? String(key.name) : "unknown";
  const closed = once(socket, "close");
  socket.end();
  await closed;
  return {
    suite: cipher.standardName,
    group,
    alpn: socket.alpnProtocol || "none",
    handshakeMs,
    echoMs,
    bytes: got,
    matches: got === ECHO_BYTES && sha256(received) === sha256(parts),
  };
}

/** Runs the three echoes and prints what was measured. */
export async function tlsDemo(): Promise<void> {
  const cert = generateSelfSignedCertificate();
  console.log("tls demo: TLS 1.3 echo over loopback, self-signed ECDSA P-256 certificate for localhost/127.0.0.1/::1");
  const credentials = { certificate: cert.certificatePem, privateKey: cert.privateKeyPem };

  {
    await using listener = await TlsListener.bind({ credentials, alpnProtocols: [ALPN] });
    const serving = serveEchoOnce(listener);
    const result = await echoThroughOurClient(listener.port, cert.certificatePem);
    await serving;
    report("our client <-> our server", result);
  }

  {
    const server = tls.createServer(
      { key: cert.privateKeyPem, cert: cert.certificatePem, minVersion: "TLSv1.3", ALPNProtocols: [ALPN] },
      (socket) => socket.pipe(socket),
    );
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const result = await echoThroughOurClient((server.address() as AddressInfo).port, cert.certificatePem);
      report("our client <-> node:tls server", result);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  {
    await using listener = await TlsListener.bind({ credentials, alpnProtocols: [ALPN] });
    const serving = serveEchoOnce(listener);
    const result = await echoThroughNodeClient(listener.port, cert.certificatePem);
    await serving;
    report("node:tls client <-> our server", result);
  }
}
