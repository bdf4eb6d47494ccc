/**
 * Interop with OpenSSL's command-line peers on loopback: our client against
 * `openssl s_server -tls1_3`, our server against `openssl s_client -tls1_3`.
 * OpenSSL 3.0 has no ML-KEM, so the hybrid group is covered by the node:tls
 * suite on Node 24.
 */
import { TimeoutError } from "@zsync/runtime";
import { afterEach, describe, expect, onTestFinished, test } from "vitest";
import {
  type CipherSuiteName,
  TlsBadRecordMacError,
  TlsCertificateError,
  TlsListener,
  TlsPeerAlertError,
  TlsStream,
} from "../../src/tls/index.js";
import { killAllOpenssl, OpensslProcess, opensslAvailable, startServer, tempFiles } from "./openssl.js";
import { startTamperProxy } from "./proxy.js";
import { testPki } from "./support.js";

const pki = testPki();
const files = tempFiles({
  "ca.pem": pki.ca.certificatePem,
  "cert.pem": pki.leaf.certificatePem,
  "key.pem": pki.leaf.privateKeyPem,
  "expired.pem": pki.expired.certificatePem,
  "expired-key.pem": pki.expired.privateKeyPem,
});
const file = (name: string): string => files[name] as string;
const SUITES: CipherSuiteName[] = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"];
const text = (b: Uint8Array | null): string => new TextDecoder().decode(b ?? new Uint8Array());

if (!opensslAvailable()) throw new Error("openssl 3.x must be on PATH for the interop tests (.ci/run installs it)");

// A test that times out never reaches its `finally`: kill whatever openssl it left running.
afterEach(killAllOpenssl);

async function withServer(args: string[], body: (port: number, proc: OpensslProcess) => Promise<void>): Promise<void> {
  const { proc, port } = await startServer(["-cert", file("cert.pem"), "-key", file("key.pem"), ...args]);
  // Runs even when the test times out while `body` hangs (a `finally` here would not).
  onTestFinished(() => proc.kill().then(() => {}));
  await body(port, proc);
}

const clientOptions = { serverName: "localhost", ca: pki.ca.certificatePem } as const;

describe("our client against openssl s_server", () => {
  test.each(SUITES)("negotiates %s and exchanges data both ways", async (suite) => {
    await withServer(["-ciphersuites", suite], async (port, proc) => {
      await using tls = await TlsStream.connect({ port, ...clientOptions });
      expect(tls.cipherSuite.name).toBe(suite);
      await tls.write(`ping ${suite}\n`);
      await proc.waitFor(`ping ${suite}`);
      proc.write("pong\n");
      expect(text(await tls.read())).toBe("pong\n");
    });
  });

  test.each([
    ["X25519", "x25519"],
    ["P-256", "secp256r1"],
  ] as const)("key exchange over %s without a retry when we share it", async (opensslGroup, ours) => {
    await withServer(["-groups", opensslGroup], async (port) => {
      await using tls = await TlsStream.connect({ port, ...clientOptions, groups: [ours] });
      expect(tls.info.group).toBe(ours);
      expect(tls.info.helloRetried).toBe(false);
    });
  });

  test("HelloRetryRequest when the server accepts only P-256 and we offer X25519 first", async () => {
    await withServer(["-groups", "P-256"], async (port, proc) => {
      await using tls = await TlsStream.connect({ port, ...clientOptions, groups: ["x25519", "secp256r1"] });
      expect(tls.info.helloRetried).toBe(true);
      expect(tls.info.group).toBe("secp256r1");
      await tls.write("after retry\n");
      await proc.waitFor("after retry");
    });
  });

  test("ALPN selects the server's protocol", async () => {
    await withServer(["-alpn", "h2"], async (port) => {
      await using tls = await TlsStream.connect({ port, ...clientOptions, alpnProtocols: ["http/1.1", "h2"] });
      expect(tls.alpnProtocol).toBe("h2");
    });
  });

  test("resumes with a ticket from the previous connection", async () => {
    await withServer([], async (port) => {
      const first = await TlsStream.connect({ port, ...clientOptions });
      const session = await first.waitForSession({ timeoutMs: 5000 });
      expect(session).toBeDefined();
      await first.close();
      await using second = await TlsStream.connect({ port, ...clientOptions, session });
      expect(second.info.resumed).toBe(true);
      expect(second.info.peerCertificates).toHaveLength(0);
    });
  });

  // With its default anti-replay, s_server spends a ticket offered with 0-RTT on the first ClientHello,
  // so the second one (after the retry) gets a full handshake; without it, the ticket resumes.
  test.each([
    ["anti-replay on (the default): full handshake", [], false],
    ["-no_anti_replay: resumed", ["-no_anti_replay"], true],
  ] as const)(
    "0-RTT refused by s_server's HelloRetryRequest, %s; the early data arrives once, sent after the handshake",
    async (_name, extra, resumed) => {
      await withServer(["-groups", "P-256", "-early_data", ...extra], async (port, proc) => {
        const first = await TlsStream.connect({ port, ...clientOptions, groups: ["secp256r1"] });
        const session = await first.waitForSession({ timeoutMs: 5000 });
        await first.close();
        expect(session?.maxEarlyData).toBeGreaterThan(0);
        await using tls = await TlsStream.connect({
          port,
          ...clientOptions,
          groups: ["x25519", "secp256r1"],
          keyShares: ["x25519"],
          session,
          earlyData: true,
          earlyDataBytes: new TextEncoder().encode("early, sent again\n"),
        });
        expect(tls.info).toMatchObject({ helloRetried: true, resumed, earlyDataAccepted: false, group: "secp256r1" });
        await tls.write("then more\n");
        await proc.waitFor(/early, sent again\n(.|\n)*then more/);
        expect(proc.stdout.split("early, sent again").length).toBe(2); // once
      });
    },
  );

  test("KeyUpdate initiated by us, then by the server (s_server 'K')", async () => {
    await withServer([], async (port, proc) => {
      const labels: string[] = [];
      await using tls = await TlsStream.connect({ port, ...clientOptions, keyLog: (label) => labels.push(label) });
      await tls.updateKeys(true);
      await tls.write("after our update\n");
      await proc.waitFor("after our update");
      // s_server sends KeyUpdate(update_requested) for a "K" line, then the next line under the new key.
      // It drops whatever else the same stdin read returned, so the next line waits until its update arrived.
      proc.write("K\n");
      let got = "";
      for (const deadline = Date.now() + 5000; !labels.includes("SERVER_TRAFFIC_SECRET_1"); ) {
        if (Date.now() > deadline) throw new Error("s_server sent no KeyUpdate for 'K'");
        await tls.read({ timeoutMs: 50 }).then(
          (b) => {
            got += text(b);
          },
          (error: unknown) => {
            if (!(error instanceof TimeoutError)) throw error;
          },
        );
      }
      proc.write("after server update\n");
      while (!got.includes("after server update")) got += text(await tls.read({ timeoutMs: 5000 }));
      // OpenSSL answers our update_requested lazily, with the same KeyUpdate its "K" sends (update_requested),
      // so: our update (1), its update (1), our answer to its request (2).
      expect(labels.filter((l) => l.includes("TRAFFIC_SECRET_") && !l.endsWith("_0"))).toEqual([
        "CLIENT_TRAFFIC_SECRET_1",
        "SERVER_TRAFFIC_SECRET_1",
        "CLIENT_TRAFFIC_SECRET_2",
      ]);
    });
  });

  test("refuses a certificate for another host name with bad_certificate", async () => {
    await withServer([], async (port, proc) => {
      const error = await TlsStream.connect({ port, ca: pki.ca.certificatePem, serverName: "example.com" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TlsCertificateError);
      expect((error as TlsCertificateError).reason).toBe("hostname-mismatch");
      await proc.waitFor(/bad certificate/i);
    });
  });

  test("refuses an unknown CA with unknown_ca", async () => {
    await withServer([], async (port, proc) => {
      const error = await TlsStream.connect({ port, serverName: "localhost", ca: pki.otherCa.certificatePem }).catch((e: unknown) => e);
      expect((error as TlsCertificateError).reason).toBe("unknown-ca");
      expect((error as TlsCertificateError).alertName).toBe("unknown_ca");
      await proc.waitFor(/unknown ca/i);
    });
  });

  test("refuses an expired certificate with certificate_expired", async () => {
    const { proc, port } = await startServer(["-cert", file("expired.pem"), "-key", file("expired-key.pem")]);
    try {
      const error = await TlsStream.connect({ port, ...clientOptions }).catch((e: unknown) => e);
      expect((error as TlsCertificateError).reason).toBe("expired");
      await proc.waitFor(/certificate expired/i);
    } finally {
      await proc.kill();
    }
  });

  test("a server that supports none of our suites answers handshake_failure", async () => {
    await withServer(["-ciphersuites", "TLS_AES_256_GCM_SHA384"], async (port) => {
      const error = await TlsStream.connect({ port, ...clientOptions, cipherSuites: ["TLS_AES_128_GCM_SHA256"] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TlsPeerAlertError);
      expect((error as TlsPeerAlertError).alertName).toBe("handshake_failure");
    });
  });

  test("a tampered record is refused with bad_record_mac", async () => {
    await withServer([], async (port, proc) => {
      const proxy = await startTamperProxy(port);
      try {
        await using tls = await TlsStream.connect({ port: proxy.port, ...clientOptions });
        await tls.write("ready\n");
        await proc.waitFor("ready");
        proxy.tamperNextServerChunk();
        proc.write("this record will be corrupted\n");
        const error = await tls.read().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TlsBadRecordMacError);
        await proc.waitFor(/bad record mac/i);
      } finally {
        await proxy.close();
      }
    });
  });
});

function sClient(port: number, args: string[]): OpensslProcess {
  return new OpensslProcess([
    "s_client",
    "-connect",
    `127.0.0.1:${port}`,
    "-tls1_3",
    "-CAfile",
    file("ca.pem"),
    "-verify_return_error",
    "-servername",
    "localhost",
    ...args,
  ]);
}

const serverCredentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };

describe("our server against openssl s_client", () => {
  test.each(SUITES)("negotiates %s and exchanges data both ways", async (suite) => {
    await using listener = await TlsListener.bind({ credentials: serverCredentials });
    const client = sClient(listener.port, ["-ciphersuites", suite]);
    try {
      await using tls = await listener.accept({ timeoutMs: 10_000 });
      expect(tls.cipherSuite.name).toBe(suite);
      await client.waitFor("Verify return code: 0 (ok)");
      client.write("hello from s_client\n");
      expect(text(await tls.read())).toBe("hello from s_client\n");
      await tls.write("hello from our server\n");
      await client.waitFor("hello from our server");
    } finally {
      await client.kill();
    }
  });

  test.each([
    ["X25519", "x25519"],
    ["P-256", "secp256r1"],
  ] as const)("key exchange over %s", async (opensslGroup, ours) => {
    await using listener = await TlsListener.bind({ credentials: serverCredentials });
    const client = sClient(listener.port, ["-groups", opensslGroup]);
    try {
      await using tls = await listener.accept({ timeoutMs: 10_000 });
      expect(tls.info.group).toBe(ours);
      expect(tls.info.helloRetried).toBe(false);
    } finally {
      await client.kill();
    }
  });

  test("sends HelloRetryRequest when the client's share is not acceptable", async () => {
    await using listener = await TlsListener.bind({ credentials: serverCredentials, groups: ["secp256r1"] });
    const client = sClient(listener.port, ["-groups", "X25519:P-256"]);
    try {
      await using tls = await listener.accept({ timeoutMs: 10_000 });
      expect(tls.info.helloRetried).toBe(true);
      expect(tls.info.group).toBe("secp256r1");
      client.write("after retry\n");
      expect(text(await tls.read())).toBe("after retry\n");
    } finally {
      await client.kill();
    }
  });

  test("ALPN and SNI reach the server", async () => {
    await using listener = await TlsListener.bind({ credentials: serverCredentials, alpnProtocols: ["h2", "http/1.1"] });
    const client = sClient(listener.port, ["-alpn", "http/1.1"]);
    try {
      await using tls = await listener.accept({ timeoutMs: 10_000 });
      expect(tls.alpnProtocol).toBe("http/1.1");
      expect(tls.info.serverName).toBe("localhost");
      await client.waitFor("ALPN protocol: http/1.1");
    } finally {
      await client.kill();
    }
  });

  test("resumption with -sess_out / -sess_in", async () => {
    await using listener = await TlsListener.bind({ credentials: serverCredentials });
    const sess = `${files.dir}/session.pem`;
    const first = sClient(listener.port, ["-sess_out", sess]);
    {
      await using tls = await listener.accept({ timeoutMs: 10_000 });
      expect(tls.info.resumed).toBe(false);
      await first.waitFor("Verify return code");
      first.write("x\n");
      await tls.read();
      await tls.close();
      await first.exited;
    }
    const second = sClient(listener.port, ["-sess_in", sess]);
    try {
      await using tls = await listener.accept({ timeoutMs: 10_000 });
      expect(tls.info.resumed).toBe(true);
      await second.waitFor("Reused, TLSv1.3");
    } finally {
      await second.kill();
    }
  });

  test("KeyUpdate initiated by s_client ('K') and by us", async () => {
    const labels: string[] = [];
    await using listener = await TlsListener.bind({ credentials: serverCredentials, keyLog: (label) => labels.push(label) });
    const client = sClient(listener.port, []);
    try {
      await using tls = await listener.accept({ timeoutMs: 10_000 });
      await client.waitFor("Verify return code");
      client.write("K\n");
      await client.waitFor("KEYUPDATE");
      client.write("after client update\n");
      let got = "";
      while (!got.includes("after client update")) got += text(await tls.read({ timeoutMs: 5000 }));
      await tls.updateKeys(true);
      await tls.write("after server update\n");
      await client.waitFor("after server update");
      client.write("and again\n");
      got = "";
      while (!got.includes("and again")) got += text(await tls.read({ timeoutMs: 5000 }));
      expect(labels).toEqual(
        expect.arrayContaining([
          "CLIENT_TRAFFIC_SECRET_1",
          "SERVER_TRAFFIC_SECRET_1",
          "SERVER_TRAFFIC_SECRET_2",
          "CLIENT_TRAFFIC_SECRET_2",
        ]),
      );
    } finally {
      await client.kill();
    }
  });

  test("a client offering only an unsupported suite gets handshake_failure", async () => {
    let failed: (error: unknown) => void = () => {};
    const failure = new Promise<unknown>((resolve) => {
      failed = resolve;
    });
    await using listener = await TlsListener.bind({
      credentials: serverCredentials,
      cipherSuites: ["TLS_AES_128_GCM_SHA256"],
      onHandshakeError: (error) => failed(error),
    });
    const client = sClient(listener.port, ["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"]);
    try {
      const accepting = listener.accept().catch(() => {}); // starts accepting; settles at close
      const error = await failure;
      expect((error as { alertName?: string }).alertName).toBe("handshake_failure");
      expect(listener.stats.handshakesFailed).toBe(1);
      void accepting;
      await client.waitFor(/handshake failure/i);
    } finally {
      await client.kill();
    }
  });
});
