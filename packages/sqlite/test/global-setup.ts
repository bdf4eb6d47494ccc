/**
 * Builds dist/ once per run. Connection workers run the compiled
 * `dist/worker/connection-worker.js` (a worker thread loads JavaScript, not
 * the TypeScript sources the suite imports), see the runtime's
 * docs/worker-entry-points.md.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(fileURLToPath(new URL("../../../node_modules/.bin/tsc", import.meta.url)), ["-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
}
