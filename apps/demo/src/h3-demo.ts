/**
 * HTTP/3 demo, the seeds' `main()` as a service: an `Http3Server` on
 * loopback UDP whose handler is the demo service (service/demo-service.ts:
 * crypto, SQLite on worker threads, runtime tasks, channels and deadlines),
 * exercised in the same run by our `Http3Client` (service-client-demo.ts),
 * which verifies the self-signed certificate it was given. Prints each
 * endpoint's answer, then what the server counted, and shuts everything
 * down: client, server (GOAWAY, in-flight requests finish), the service
 * (request log, worker threads, database), the temporary directory.
 *
 * @example
 * ```ts
 * import { h3Demo } from "./h3-demo.js";
 * await h3Demo();
 * ```
 * @module
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSelfSignedCertificate } from "@zsync/crypto/tls";
import { Http3Client, Http3Server } from "@zsync/quic";
import { DemoService } from "./service/demo-service.js";
import { exerciseService } from "./service-client-demo.js";

/** Serves the demo service over HTTP/3 on loopback and exercises it with our client. */
export async function h3Demo(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "zsync-h3-demo-"));
  try {
    const cert = generateSelfSignedCertificate();
    await using service = await DemoService.open({ directory: dir });
    const handlerErrors: unknown[] = [];
    await using server = await Http3Server.bind({
      host: "127.0.0.1",
      port: 0,
      certificate: cert.certificatePem,
      key: cert.privateKeyPem,
      handler: (request) => service.handle(request),
      onError: (error) => handlerErrors.push(error),
    });
    console.log(
      `h3 demo: Http3Server on 127.0.0.1:${server.port} (UDP) serving the demo service (AsyncHasher, AsyncCipher on 2 worker threads, AsyncDatabase, runtime tasks, channel and timeout); our Http3Client, verifying the self-signed certificate`,
    );
    const started = performance.now();
    let requests = 0;
    {
      await using client = new Http3Client({ ca: cert.certificatePem });
      ({ requests } = await exerciseService((request) => client.fetch(request), `https://localhost:${server.port}`));
    }
    const { connections, requests: served, malformed } = server.stats;
    console.log(
      `  server: ${connections} connection(s), ${served} requests handled (the client sent ${requests}), ${malformed} malformed, ${handlerErrors.length} handler errors; ${(performance.now() - started).toFixed(0)} ms in all`,
    );
    for (const error of handlerErrors) console.log(`  handler error: ${String(error)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
