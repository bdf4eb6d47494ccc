// The tests Stryker runs against mutants of sqlite's critical modules: their
// own suites. Statements run in a worker (the compiled
// dist/worker/connection-worker.js, copied into the sandbox: build before
// `pnpm mutate`; not mutated); transaction(), the writer lane and request
// cancellation run on the main thread, where the mutants are.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/transactions.test.ts",
      "test/write-cancellation.test.ts",
      "test/cancellation.test.ts",
      "test/errors.test.ts",
      "test/transaction-states.test.ts",
      "test/transaction-stops-and-losses.test.ts",
      "test/transaction-end-back-pressure.test.ts",
      "test/stuck-statement-terminate.test.ts",
      "test/writer-lane.test.ts",
      "test/request-settles-once.test.ts",
    ],
    testTimeout: 20_000,
  },
});
