/**
 * The `zsync-quic` CLI as a user runs it: the server and the client in two
 * child processes over loopback UDP, bulk mode both ways (every byte of the
 * pattern checked by the receiving process) and echo mode. The children
 * run the compiled CLI, built first into a private directory.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
/**
 * A private build of the package for this file's child processes (under
 * the git-ignored .cache/), so a concurrent `pnpm build` rewriting dist/
 * cannot hand them half-written modules. Inside the package, so that
 * `@zsync/*` imports still resolve through its node_modules.
 */
const outDir = join(root, ".cache", `cli-test-${process.pid}`);
const cli = join(outDir, "cli", "zsync-quic.js");

beforeAll(() => {
  execFileSync(
    fileURLToPath(new URL("../../../../node_modules/.bin/tsc", import.meta.url)),
    ["-p", "tsconfig.build.json", "--outDir", outDir, "--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"],
    { cwd: root, stdio: "inherit" },
  );
}, 180_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

/** Starts `zsync-quic server --json` on an ephemeral port; killed when the test ends. */
async function startServer(...args: string[]): Promise<{ port: number; child: ChildProcess; lines: Record<string, unknown>[] }> {
  const child = spawn(process.execPath, [cli, "server", "--port", "0", "--json", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const lines: Record<string, unknown>[] = [];
  const reader = createInterface({ input: child.stdout! });
  const first = new Promise<Record<string, unknown>>((resolve) => {
    reader.on("line", (line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      lines.push(record);
      if (record.event === "listening") resolve(record);
    });
  });
  const listening = await first;
  return { port: listening.port as number, child, lines };
}

/** Runs `zsync-quic client --json ...`; resolves with its exit code and JSON records. */
async function runClient(port: number, ...args: string[]): Promise<{ code: number | null; records: Record<string, unknown>[] }> {
  const child = spawn(process.execPath, [cli, "client", "--port", String(port), "--insecure", "--json", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const [code] = (await once(child, "exit")) as [number | null];
  const records = out
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, records };
}

describe("zsync-quic CLI, client and server in two processes", () => {
  it("bulk mode: 4 MiB down and 4 MiB up, every byte verified by the receiver (server with --retry)", async () => {
    const server = await startServer("--retry");
    const down = await runClient(server.port, "--mode", "bulk", "--bytes", "4M", "--direction", "down");
    expect(down.code).toBe(0);
    expect(down.records[0]).toMatchObject({ event: "bulk", direction: "down", bytes: 4 * 1024 * 1024, verified: true, alpn: "zq-bulk" });
    const up = await runClient(server.port, "--mode", "bulk", "--bytes", "4M", "--direction", "up");
    expect(up.code).toBe(0);
    expect(up.records[0]).toMatchObject({ event: "bulk", direction: "up", verified: true });
    // The server's own report of the upload: it checked the pattern itself.
    await expect.poll(() => server.lines.filter((l) => l.event === "connection").length, { timeout: 20_000 }).toBe(2);
    const uploads = server.lines.filter((l) => l.event === "connection" && l.received === 4 * 1024 * 1024);
    expect(uploads).toMatchObject([{ verified: true }]);
    expect(uploads[0]?.retriesSent).toBeGreaterThanOrEqual(2); // Retry before each of the two connections
    server.child.kill("SIGTERM");
    const [code] = (await once(server.child, "exit")) as [number | null];
    expect(code).toBe(0);
  }, 120_000);

  it("echo mode over QUIC v2 (RFC 9369), with --keylog writing the TLS 1.3 secrets in SSLKEYLOGFILE format", async () => {
    const server = await startServer("--version", "v2");
    const dir = mkdtempSync(join(tmpdir(), "zsync-quic-keylog-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const keylog = join(dir, "keys.log");
    const result = await runClient(server.port, "--mode", "echo", "--message", "zsync over v2", "--version", "v2", "--keylog", keylog);
    expect(result.code).toBe(0);
    expect(result.records[0]).toMatchObject({ event: "echo", ok: true, echoed: "zsync over v2", version: "0x6b3343cf" });
    const labels = readFileSync(keylog, "utf8")
      .trim()
      .split("\n")
      .map((line) => {
        expect(line).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}$/); // label, client random, secret (hex)
        return line.split(" ")[0];
      });
    expect(labels.sort()).toEqual([
      "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
      "CLIENT_TRAFFIC_SECRET_0",
      "EXPORTER_SECRET",
      "SERVER_HANDSHAKE_TRAFFIC_SECRET",
      "SERVER_TRAFFIC_SECRET_0",
    ]);
  }, 60_000);

  it("--session-file: the first run saves the server's session (mode 0600), the second resumes with it (RFC 9001 §4.5)", async () => {
    const server = await startServer();
    const dir = mkdtempSync(join(tmpdir(), "zsync-quic-session-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "session.bin");
    const first = await runClient(server.port, "--mode", "echo", "--session-file", file);
    expect(first.code).toBe(0);
    expect(first.records[0]).toMatchObject({ event: "echo", ok: true, resumed: false });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await runClient(server.port, "--mode", "echo", "--session-file", file, "--repeat", "2");
    expect(second.code).toBe(0);
    // Both resume: the first with the saved ticket, the next with a ticket from the connection before it.
    expect(second.records.slice(0, 2)).toMatchObject([
      { event: "echo", ok: true, resumed: true },
      { event: "echo", ok: true, resumed: true },
    ]);
    writeFileSync(file, "not a session");
    const corrupt = await runClient(server.port, "--mode", "echo", "--session-file", file);
    expect(corrupt.code).toBe(1); // a corrupt file is reported, not silently replaced by a full handshake
  }, 60_000);

  it("--0rtt: the second run sends its upload as early data, accepted and verified; a --no-0rtt server allows none (RFC 9001 §4.6)", async () => {
    const server = await startServer();
    const dir = mkdtempSync(join(tmpdir(), "zsync-quic-0rtt-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, "session.bin");
    const upload = ["--mode", "bulk", "--bytes", "256K", "--direction", "up", "--session-file", file, "--0rtt"];
    const first = await runClient(server.port, ...upload);
    expect(first.code).toBe(0);
    expect(first.records[0]).toMatchObject({ event: "bulk", verified: true, resumed: false, earlyData: "not sent" });
    const second = await runClient(server.port, ...upload);
    expect(second.code).toBe(0);
    expect(second.records[0]).toMatchObject({
      event: "bulk",
      verified: true,
      resumed: true,
      earlyData: "accepted",
      earlyDataAccepted: true,
    });
    // The server checked the pattern itself and saw the stream arrive in 0-RTT.
    await expect.poll(() => server.lines.filter((l) => l.event === "connection").length, { timeout: 20_000 }).toBe(2);
    expect(server.lines.filter((l) => l.event === "connection")).toMatchObject([
      { received: 256 * 1024, verified: true, earlyStreams: 0, earlyDataAccepted: false, acceptedEarly: false },
      // Served from its 0-RTT acceptance (`acceptEarly`): the answer left as 0.5-RTT data, before the client's Finished.
      { received: 256 * 1024, verified: true, earlyStreams: 1, earlyDataAccepted: true, acceptedEarly: true },
    ]);

    const refusing = await startServer("--no-0rtt");
    const refusedFile = join(dir, "refused.bin");
    const echo = ["--mode", "echo", "--message", "early or not", "--session-file", refusedFile, "--0rtt"];
    expect((await runClient(refusing.port, ...echo)).code).toBe(0);
    const refused = await runClient(refusing.port, ...echo);
    expect(refused.code).toBe(0);
    // It resumes, but its ticket allows no early data (RFC 9001 §4.6.1): the message goes after the handshake.
    expect(refused.records[0]).toMatchObject({ event: "echo", ok: true, resumed: true, earlyData: "not sent", earlyDataAccepted: false });
  }, 120_000);
});
