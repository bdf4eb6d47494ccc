// The tests Stryker runs against mutants of select, channels and task
// cancellation: their own suites, on Node only (the browser pass runs the same
// files; a mutant run repeats each covering test once per mutant, so a second
// environment would double the run for no extra kills).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/select.test.ts", "test/select-*.test.ts", "test/channel-*.test.ts", "test/task.test.ts", "test/wait-queue.test.ts"],
    environment: "node",
    testTimeout: 20_000,
  },
});
