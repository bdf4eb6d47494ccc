/** Runs `openssl s_server` / `s_client` as interop peers on loopback. */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const OPENSSL = process.env.OPENSSL ?? "openssl";

/** True when an openssl binary with TLS 1.3 is on PATH (CI installs it). */
export function opensslAvailable(): boolean {
  const r = spawnSync(OPENSSL, ["version"], { encoding: "utf8" });
  return r.status === 0 && /OpenSSL [3-9]\./.test(r.stdout);
}

/** Writes files into a fresh temp dir and returns their paths. */
export function tempFiles(files: Record<string, string>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), "zsync-tls-"));
  const out: Record<string, string> = {};
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    writeFileSync(path, content);
    out[name] = path;
  }
  out.dir = dir;
  return out;
}

/** A running openssl process with its collected output. */
/** Every openssl process still running, so a test that failed or timed out cannot leak one. */
const live = new Set<OpensslProcess>();

/** Kills every openssl process started by this module that is still running (for `afterEach`). */
export async function killAllOpenssl(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

export class OpensslProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = "";
  stderr = "";
  readonly exited: Promise<number | null>;

  constructor(args: string[]) {
    this.child = spawn(OPENSSL, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("latin1").on("data", (d: string) => {
      this.stdout += d;
    });
    this.child.stderr.setEncoding("latin1").on("data", (d: string) => {
      this.stderr += d;
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  /** Resolves once `pattern` appears in stdout or stderr; rejects after `ms` or on exit. */
  waitFor(pattern: RegExp | string, ms = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const test = (): boolean =>
        typeof pattern === "string" ? (this.stdout + this.stderr).includes(pattern) : pattern.test(this.stdout + this.stderr);
      if (test()) return resolve();
      const onData = (): void => {
        if (test()) finish(undefined);
      };
      const onExit = (): void =>
        finish(new Error(`openssl exited before ${String(pattern)}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
      const timer = setTimeout(
        () => finish(new Error(`timeout waiting for ${String(pattern)}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`)),
        ms,
      );
      const finish = (error: Error | undefined): void => {
        clearTimeout(timer);
        this.child.stdout.off("data", onData);
        this.child.stderr.off("data", onData);
        this.child.off("exit", onExit);
        if (error === undefined) resolve();
        else reject(error);
      };
      this.child.stdout.on("data", onData);
      this.child.stderr.on("data", onData);
      this.child.once("exit", onExit);
    });
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }

  kill(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    return this.exited;
  }
}

/** Starts `openssl s_server` on a free port and waits for it to accept. */
export async function startServer(args: string[]): Promise<{ proc: OpensslProcess; port: number }> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    const proc = new OpensslProcess(["s_server", "-accept", `127.0.0.1:${port}`, "-tls1_3", ...args]);
    try {
      await proc.waitFor("ACCEPT");
      return { proc, port };
    } catch (error) {
      await proc.kill();
      if (!/address already in use|bind/i.test(proc.stderr)) throw error;
    }
  }
  throw new Error("could not start openssl s_server");
}
