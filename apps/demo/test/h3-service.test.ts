// The demo service's endpoints (test/service-cases.ts) over HTTP/3 on
// loopback: our Http3Server with the service as its handler, our
// Http3Client verifying the server's self-signed certificate. Afterwards the
// server must have handled every request, with no malformed stream and no
// handler error (bad requests are answered by the service, not thrown).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSelfSignedCertificate } from "@zsync/crypto/tls";
import { Http3Client, Http3Server } from "@zsync/quic";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DemoService } from "../src/service/demo-service.js";
import { type ServiceUnderTest, serviceCases } from "./service-cases.js";

describe("demo service over HTTP/3 (our Http3Server and Http3Client on loopback)", () => {
  let dir = "";
  let service: DemoService | undefined;
  let server: Http3Server | undefined;
  let client: Http3Client | undefined;
  let underTest: ServiceUnderTest | undefined;
  let sent = 0;
  const handlerErrors: unknown[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zsync-demo-h3-"));
    const options = { directory: dir, deadlineMs: 100, maxBodyBytes: 4 * 1024 * 1024 };
    const opened = await DemoService.open(options);
    service = opened;
    const cert = generateSelfSignedCertificate();
    server = await Http3Server.bind({
      host: "127.0.0.1",
      port: 0,
      certificate: cert.certificatePem,
      key: cert.privateKeyPem,
      handler: (request) => opened.handle(request),
      onError: (error) => handlerErrors.push(error),
    });
    const h3 = new Http3Client({ ca: cert.certificatePem });
    client = h3;
    underTest = {
      send: (request) => {
        sent++;
        return h3.fetch(request);
      },
      origin: `https://localhost:${server.port}`,
      ...options,
    };
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    await server?.close({ timeout: 2000 });
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  serviceCases(() => underTest!);

  it("the server handled every request the cases sent, over one connection, with no malformed stream and no handler error", () => {
    expect(sent).toBeGreaterThan(40);
    expect(server!.stats).toEqual({ connections: 1, requests: sent, malformed: 0 });
    expect(handlerErrors).toEqual([]);
  });
});
