/**
 * The native reference of the transfer bench (issue 15): ngtcp2's example
 * programs, `gtlsclient` downloading one file of the bench's size from
 * `gtlsserver` over HTTP/3 on loopback, both with `--initial-rtt=1ms` as the
 * interop tests run them (ngtcp2's default of 333 ms only slows the
 * handshake). It answers the question "what does a C QUIC stack cost per
 * GiB on this machine, in the same run", so our figures read against it
 * rather than against a number measured on another day under another load.
 *
 * Figures:
 * - MB/s: the bytes over the client process's wall time, which includes its
 *   start and the handshake (a few ms), so it slightly understates ngtcp2;
 * - client CPU: the user + system time of the client process, from the
 *   shell's `times` (Node gives no resource usage of a child);
 * - server CPU: the growth of `gtlsserver`'s utime + stime in
 *   /proc/PID/stat over the transfer (Linux; clock ticks of 1/100 s).
 *
 * The client saves the file (`--download`) so that the run is checked (the
 * size must match); writing 100 MiB to the page cache is part of its CPU,
 * as checking the pattern is part of ours.
 * @module
 */
import { execFileSync, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { generateSelfSignedCertificate } from "@zsync/crypto/tls";
import type { Transfer } from "./run.js";

const GiB = 1024 ** 3;
/** USER_HZ: the unit of utime/stime in /proc/PID/stat (100 on every Linux ABI). */
const TICKS_PER_SECOND = 100;

function findBinary(name: string): string | undefined {
  try {
    const path = execFileSync("sh", ["-c", `command -v ${name} || { test -x /usr/sbin/${name} && echo /usr/sbin/${name}; }`], {
      encoding: "utf8",
    }).trim();
    return path.length > 0 ? path : undefined;
  } catch {
    return undefined;
  }
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** gtlsserver serving a file of `bytes`, and gtlsclient fetching it once per {@link transfer}. */
export class Ngtcp2Reference {
  readonly name = "ngtcp2 (gtlsclient/gtlsserver)";
  readonly #client: string;
  readonly #server: string;
  readonly #bytes: number;
  #dir = "";
  #port = 0;
  #serverProcess: ReturnType<typeof spawn> | undefined;

  private constructor(client: string, server: string, bytes: number) {
    this.#client = client;
    this.#server = server;
    this.#bytes = bytes;
  }

  /** The reference, or undefined when ngtcp2's programs are not installed (or not on Linux). */
  static create(bytes: number): Ngtcp2Reference | undefined {
    if (process.platform !== "linux") return undefined;
    const client = findBinary("gtlsclient");
    const server = findBinary("gtlsserver");
    return client === undefined || server === undefined ? undefined : new Ngtcp2Reference(client, server, bytes);
  }

  async start(): Promise<void> {
    this.#dir = mkdtempSync(join(tmpdir(), "zsync-quic-bench-ngtcp2-"));
    mkdirSync(join(this.#dir, "htdocs"));
    mkdirSync(join(this.#dir, "download"));
    writeFileSync(join(this.#dir, "htdocs", "file"), new Uint8Array(this.#bytes).fill(0x5a));
    writeFileSync(join(this.#dir, "htdocs", "byte"), new Uint8Array(1));
    const cert = generateSelfSignedCertificate();
    writeFileSync(join(this.#dir, "key.pem"), cert.privateKeyPem);
    writeFileSync(join(this.#dir, "cert.pem"), cert.certificatePem);
    this.#port = await freeUdpPort();
    this.#serverProcess = spawn(
      this.#server,
      [
        "-q",
        "--initial-rtt=1ms",
        `--htdocs=${join(this.#dir, "htdocs")}`,
        "127.0.0.1",
        String(this.#port),
        join(this.#dir, "key.pem"),
        join(this.#dir, "cert.pem"),
      ],
      { stdio: "ignore" }, // it logs every draining packet even with -q
    );
  }

  /**
   * One download. gtlsserver prints nothing when it listens; a client that
   * starts first retransmits its Initial until the server answers, and the
   * bench's warm-up round absorbs that.
   */
  async transfer(): Promise<Transfer> {
    const server = this.#serverProcess;
    if (server?.pid === undefined) throw new Error("ngtcp2 reference not started");
    const saved = join(this.#dir, "download", "file");
    rmSync(saved, { force: true });
    const serverCpu = processCpuSeconds(server.pid);
    const started = performance.now();
    const command = [
      this.#client,
      "-q",
      "--initial-rtt=1ms",
      "--handshake-timeout=10s",
      "--timeout=30s",
      "--exit-on-all-streams-close",
      `--download=${join(this.#dir, "download")}`,
      "127.0.0.1",
      String(this.#port),
      `https://127.0.0.1:${this.#port}/file`,
    ]
      .map((a) => `'${a}'`)
      .join(" ");
    // `times` prints the shell's own user/system time, then its children's: the client's.
    const child = spawn("sh", ["-c", `${command} >/dev/null 2>&1; code=$?; times; exit $code`], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
    });
    const [code] = (await once(child, "exit")) as [number | null];
    const seconds = (performance.now() - started) / 1000;
    const serverCpuSeconds = processCpuSeconds(server.pid) - serverCpu;
    if (code !== 0) throw new Error(`gtlsclient exited with ${code}`);
    const size = statSync(saved).size;
    if (size !== this.#bytes) throw new Error(`gtlsclient saved ${size} bytes, expected ${this.#bytes}`);
    const lines = out.trim().split("\n");
    const clientCpuSeconds = (lines[1] ?? "")
      .trim()
      .split(/\s+/)
      .reduce((sum, t) => sum + timesSeconds(t), 0);
    return {
      mbPerSecond: this.#bytes / 1e6 / seconds,
      clientCpuPerGiB: (clientCpuSeconds * GiB) / this.#bytes,
      serverCpuPerGiB: (serverCpuSeconds * GiB) / this.#bytes,
    };
  }

  /**
   * Time to first byte of a new connection, median of `repeat`: the wall
   * time of a gtlsclient process fetching a 1-byte file (process start,
   * handshake, request, response, close), so an upper bound of ngtcp2's.
   */
  async firstByteMs(repeat: number): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < repeat; i++) {
      const started = performance.now();
      const child = spawn(
        this.#client,
        ["-q", "--initial-rtt=1ms", "--exit-on-all-streams-close", "127.0.0.1", String(this.#port), `https://127.0.0.1:${this.#port}/byte`],
        { stdio: "ignore" },
      );
      const [code] = (await once(child, "exit")) as [number | null];
      if (code !== 0) throw new Error(`gtlsclient exited with ${code}`);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] as number;
  }

  async stop(): Promise<void> {
    const server = this.#serverProcess;
    this.#serverProcess = undefined;
    if (server !== undefined && server.exitCode === null) {
      server.kill("SIGTERM");
      await once(server, "exit");
    }
    if (this.#dir !== "") rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A duration as the shell's `times` prints it: `0m1.230s`. */
function timesSeconds(text: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(text);
  if (m === null) throw new Error(`unexpected 'times' output: ${text}`);
  return Number(m[1]) * 60 + Number(m[2]);
}
