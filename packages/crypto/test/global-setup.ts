/** Builds dist/ once per run: ThreadPoolIo workers import compiled chunk tasks, not TypeScript. */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(fileURLToPath(new URL("../../../node_modules/.bin/tsc", import.meta.url)), ["-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
}
