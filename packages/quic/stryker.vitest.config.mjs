// The tests Stryker runs against mutants of the wire codecs, loss recovery,
// stream flow control, and HTTP/3's and QPACK's parsers: the unit suites of
// those layers only. The connection, simulator, fuzz and interop suites also
// reach these modules, but each of them takes seconds to minutes, and a mutant run repeats the covering tests
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
      // HTTP/3's frame and SETTINGS codecs and QPACK's wire parsers. Not the
      // nghttp3 interop test (it spawns a C peer) nor the connection suites
      // (they run whole exchanges over the simulator).
      "test/h3/qpack/**/*.test.ts",
      "test/h3/frames*.test.ts",
      "test/h3/settings*.test.ts",
      "test/h3/message.test.ts",
    ],
    exclude: ["test/h3/qpack/nghttp3-interop.test.ts"],
  },
});
