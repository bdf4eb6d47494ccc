import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, test } from "vitest";

// The pool is compiled to plain JS (as users get it from dist/) and driven
// from a separate Node process, which must exit on its own.
const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const tsc = fileURLToPath(new URL("../../../../node_modules/.bin/tsc", import.meta.url));
let outDir = "";

beforeAll(() => {
  outDir = mkdtempSync(join(tmpdir(), "zsync-pool-dist-"));
  // Emit even if unrelated files in the package have type errors right now.
  spawnSync(
    tsc,
    ["-p", "tsconfig.build.json", "--outDir", outDir, "--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"],
    {
      cwd: packageDir,
      encoding: "utf8",
    },
  );
}, 60_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

function runScript(body: string): Promise<{ code: number | null; stdout: string; exitedAt: number }> {
  const script = join(outDir, `script-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(script, body);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.on("exit", (code) => resolve({ code, stdout, exitedAt: Date.now() }));
  });
}

test("a script that used the pool exits by itself, promptly, without shutdown()", async () => {
  const pool = pathToFileURL(join(outDir, "node", "index.js")).href;
  const io = pathToFileURL(join(outDir, "io", "io.js")).href;
  const tasks = new URL("./fixtures/tasks.mjs", import.meta.url).href;
  const { code, stdout, exitedAt } = await runScript(`
    import { ThreadPoolIo } from ${JSON.stringify(pool)};
    import { workerTask } from ${JSON.stringify(io)};
    const pool = new ThreadPoolIo({ minThreads: 2, maxThreads: 2 });
    const add = workerTask(${JSON.stringify(tasks)}, "add");
    const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.async(add, i, 1)));
    const spun = await pool.async(workerTask(${JSON.stringify(tasks)}, "spin"), 20);
    console.log(JSON.stringify({ last: results[999], spun, at: Date.now() }));
  `);
  expect(code).toBe(0);
  const report = JSON.parse(stdout.trim()) as { last: number; spun: string; at: number };
  expect(report).toMatchObject({ last: 1000, spun: "spun" });
  expect(exitedAt - report.at).toBeLessThan(1000);
}, 30_000);

test("a script whose receives had long timeouts exits as soon as its sockets close", async () => {
  const node = pathToFileURL(join(outDir, "node", "index.js")).href;
  const { code, stdout, exitedAt } = await runScript(`
    import { UdpSocket } from ${JSON.stringify(node)};
    const server = await UdpSocket.bind();
    const client = await UdpSocket.bind();
    await client.sendTo("ping", server.port, "127.0.0.1");
    const datagram = await server.recvFrom({ timeoutMs: 60_000 });
    await Promise.all([server.close(), client.close()]);
    console.log(JSON.stringify({ data: datagram.data.toString(), at: Date.now() }));
  `);
  expect(code).toBe(0);
  const report = JSON.parse(stdout.trim()) as { data: string; at: number };
  expect(report.data).toBe("ping");
  expect(exitedAt - report.at).toBeLessThan(1000);
}, 30_000);
