// The tests Stryker runs against mutants of select, channels, task
// cancellation and the thread pool's cancel path: their own suites, on Node
// only (the browser pass runs the same files; a mutant run repeats each
// covering test once per mutant, so a second environment would double the
// run for no extra kills). The thread pool's workers run dist/: build first.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/select.test.ts",
      "test/select-*.test.ts",
      "test/channel-*.test.ts",
      "test/task.test.ts",
      "test/task-counters.test.ts",
      "test/task-surface.test.ts",
      "test/wait-queue.test.ts",
      "test/wait-list-model.test.ts",
      "test/cancel-token.test.ts",
      "test/node/thread-pool.test.ts",
      "test/node/thread-pool-cancel.test.ts",
      "test/node/thread-pool-grace.test.ts",
    ],
    environment: "node",
    testTimeout: 20_000,
  },
});
