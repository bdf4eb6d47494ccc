/**
 * Builds dist/ once per run. Pool workers run the compiled
 * `dist/node/pool-worker.js` (a worker thread loads JavaScript, not the
 * TypeScript sources the suite imports), see docs/worker-entry-points.md.
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
