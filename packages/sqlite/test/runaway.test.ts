/**
 * A statement that would run forever is stopped by its timeout: CPU goes back
 * to idle, the connection stays usable, close() settles and the process ends
 * by itself. Each case runs in a child process (the failure mode is a process
 * that never exits), against the built package: the turbo `test` task builds
 * it first, and this file rebuilds it when run on its own.
 */
import { execFileSync, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDbPath, tempDir } from "./helpers.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dir = tempDir();

interface ChildReport {
  readonly outcome: string;
  readonly settledMs: number;
  readonly cpuMs: number;
  readonly idleMs: number;
  readonly write: string;
  readonly rows: number[];
}

/** Runs the fixture; resolves with its report and exit code, or with `exit: null` if it had to be killed. */
function runChild(mode: "read" | "write"): Promise<{ exit: number | null; report: ChildReport | undefined; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, "test", "fixtures", "runaway-child.mjs"), tempDbPath(dir), mode], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Generous: the child needs well under 2 s; a child that never exits is the failure being tested.
    const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code, signal) => {
      clearTimeout(killer);
      const line = stdout.trim().split("\n").pop();
      resolve({
        exit: signal === null ? code : null,
        report: line ? (JSON.parse(line) as ChildReport) : undefined,
        stderr,
      });
    });
  });
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
}, 120_000);

describe("a runaway statement with a timeout", () => {
  it("read: rejects with TimeoutError, stops using CPU, and the process closes and exits by itself", async () => {
    const { exit, report, stderr } = await runChild("read");
    expect(stderr).toBe("");
    expect(exit).toBe(0);
    expect(report?.outcome).toBe("TimeoutError");
    // A statement still spinning would use about all of the 500 ms window; half is a loose bound for a shared machine.
    expect(report?.cpuMs).toBeLessThan((report?.idleMs ?? 0) / 2);
    expect(report?.write).toBe("ok");
    expect(report?.rows).toEqual([-1]);
  }, 60_000);

  it("write: rejects with TimeoutError, commits nothing, later writes work, and the process exits by itself", async () => {
    const { exit, report, stderr } = await runChild("write");
    expect(stderr).toBe("");
    expect(exit).toBe(0);
    expect(report?.outcome).toBe("TimeoutError");
    expect(report?.cpuMs).toBeLessThan((report?.idleMs ?? 0) / 2);
    expect(report?.write).toBe("ok");
    expect(report?.rows).toEqual([-1]);
  }, 60_000);
});
