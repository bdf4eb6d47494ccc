// The tests Stryker runs against mutants of the wire codecs, loss recovery and
// stream flow control: the unit suites of those layers only. The connection,
// simulator, fuzz and interop suites also reach these modules, but each of
// them takes seconds to minutes, and a mutant run repeats the covering tests
// once per mutant, so they would make a run take hours on a 2-core machine.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/wire/**/*.test.ts",
      "test/recovery/**/*.test.ts",
      "test/streams/**/*.test.ts",
      "test/vectors/**/*.test.ts",
      "test/range-set.test.ts",
    ],
  },
});
