/**
 * Fixtures shared by the interoperability tests: a CA and a localhost leaf
 * written to PEM files (the peers' tools read paths), the pattern every
 * transfer carries, a byte-for-byte comparison that reports the first
 * differing offset, and the check that a peer's binary is installed.
 *
 * Why bytes and not exit codes: neither quiche's Node wrapper nor ngtcp2's
 * example programs give exit codes that reliably reflect a transfer's
 * outcome, so every case compares what arrived with what was sent.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type GeneratedCertificate, generateCertificate } from "@zsync/crypto/tls";
import { afterAll } from "vitest";
import { QuicServer, type QuicServerOptions, type QuicStream } from "../../src/index.js";

export interface InteropPki {
  readonly ca: GeneratedCertificate;
  readonly leaf: GeneratedCertificate;
  /** Directory holding ca.pem, cert.pem (leaf then CA) and key.pem. */
  readonly dir: string;
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
}

let pki: InteropPki | undefined;

/**
 * A CA and an ECDSA P-256 leaf for `localhost`/127.0.0.1 issued by it (made
 * once per test file, removed after it). P-256 is what every peer accepts.
 */
export function interopPki(): InteropPki {
  if (pki !== undefined) return pki;
  const ca = generateCertificate({ commonName: "zsync quic interop CA", isCa: true, subjectAltNames: [] });
  const leaf = generateCertificate({ issuer: ca });
  const dir = mkdtempSync(join(tmpdir(), "zsync-quic-interop-"));
  const made: InteropPki = {
    ca,
    leaf,
    dir,
    caPath: join(dir, "ca.pem"),
    certPath: join(dir, "cert.pem"),
    keyPath: join(dir, "key.pem"),
  };
  writeFileSync(made.caPath, ca.certificatePem);
  writeFileSync(made.certPath, leaf.certificatePem + ca.certificatePem);
  writeFileSync(made.keyPath, leaf.privateKeyPem, { mode: 0o600 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  pki = made;
  return made;
}

/** `length` bytes of an xorshift pattern: a shifted, repeated or truncated chunk cannot match it. */
export function pattern(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * Describes how `actual` differs from `expected` ("" when identical), so a
 * failed transfer says where it broke instead of dumping megabytes.
 */
export function byteDifference(actual: Uint8Array, expected: Uint8Array): string {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) return `first difference at byte ${i} of ${expected.length} (got ${actual[i]}, want ${expected[i]})`;
  }
  if (actual.length !== expected.length) return `got ${actual.length} bytes, want ${expected.length} (the first ${n} match)`;
  return "";
}

/** Joins chunks into one buffer. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The absolute path of a peer's binary; throws (failing the test, never
 * skipping it) when it is missing, naming the Debian package that `.ci/run`
 * installs.
 */
export function requireBinary(name: string, debianPackage: string): string {
  try {
    return execFileSync("sh", ["-c", `command -v ${name} || { test -x /usr/sbin/${name} && echo /usr/sbin/${name}; }`], {
      encoding: "utf8",
    }).trim();
  } catch {
    throw new Error(
      `interop peer '${name}' is not installed: .ci/run installs it (apt-get install -y ${debianPackage}); install it the same way to run these tests locally`,
    );
  }
}

/** A promise with its resolve function (Promise.withResolvers is Node 22+). */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Rejects with `message` after `ms` unless `promise` settles first (keeps
 * every case bounded). A function message is evaluated at the timeout, so
 * it can include a peer's log as it is then.
 */
export async function within<T>(ms: number, promise: Promise<T>, message: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${typeof message === "string" ? message : message()}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A running peer program (ngtcp2's examples) with its combined stdout and stderr. */
export interface Peer {
  readonly child: ChildProcess;
  log(): string;
  /** Resolves once `text` appears in the log (bounded by `ms`). */
  waitFor(text: string | RegExp, ms: number): Promise<void>;
  exited: Promise<number | null>;
}

/**
 * Starts `binary` with `args`; `onCleanup` receives the step that kills it
 * (SIGKILL) if it is still running when the test ends, for the caller's
 * cleanup list (which decides the order against the servers it talks to).
 */
export function startPeerProcess(binary: string, args: readonly string[], onCleanup: (cleanup: () => Promise<unknown>) => void): Peer {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const watchers: { test: (s: string) => boolean; resolve: () => void }[] = [];
  const onData = (chunk: Buffer): void => {
    log += chunk.toString("latin1");
    for (let i = watchers.length - 1; i >= 0; i--) {
      const w = watchers[i]!;
      if (w.test(log)) {
        watchers.splice(i, 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = once(child, "exit").then(([code]) => code as number | null);
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  return {
    child,
    log: () => log,
    exited,
    waitFor(text, ms) {
      const test = (s: string): boolean => (typeof text === "string" ? s.includes(text) : text.test(s));
      if (test(log)) return Promise.resolve();
      const found = deferred<void>();
      watchers.push({ test, resolve: () => found.resolve() });
      // A peer that gives up (a refused ALPN, say) exits: fail then, with its log, instead of at the timeout.
      const gaveUp = exited.then((code) => {
        if (!test(log)) throw new Error(`${binary} exited (${code}) before '${text}' appeared; log tail:\n${log.slice(-3000)}`);
      });
      return within(ms, Promise.race([found.promise, gaveUp]), () => `'${text}' in ${binary}'s log; log tail:\n${log.slice(-3000)}`);
    },
  };
}

/**
 * Reads up to `n` bytes of a stream, calling `seen` with what arrived so far
 * after every read: HTTP/3's QPACK streams send one byte and stay open, so
 * a caller cannot wait for a fixed count or the end.
 */
export async function readPrefix(stream: QuicStream, n: number, seen: (bytes: Uint8Array) => void = () => undefined): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let at = 0;
  while (at < n) {
    const got = await stream.read(out.subarray(at));
    if (got === null) break;
    at += got;
    seen(out.slice(0, at));
  }
  return out.subarray(0, at);
}

/** `gtlsclient`'s arguments against 127.0.0.1:`port` (`--initial-rtt=1ms`: its default makes loopback retransmissions slow). */
export function gtlsclientArgs(port: number, ...extra: string[]): string[] {
  return [
    "--initial-rtt=1ms",
    "--timeout=15s",
    "--handshake-timeout=10s",
    "--exit-on-all-streams-close",
    ...extra,
    "127.0.0.1",
    String(port),
    `https://localhost:${port}/`,
  ];
}

/**
 * Our server on loopback with the interop leaf certificate, the way every interop test binds it;
 * `options` adds the ALPN and whatever the test needs.
 */
export function bindInteropServer(options: Omit<QuicServerOptions, "certificate" | "key">): Promise<QuicServer> {
  const { leaf } = interopPki();
  return QuicServer.bind({ host: "127.0.0.1", port: 0, certificate: leaf.certificatePem, key: leaf.privateKeyPem, ...options });
}
