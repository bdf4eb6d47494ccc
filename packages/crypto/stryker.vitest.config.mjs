// The tests Stryker runs against mutants of crypto's critical modules: their
// own suites. ThreadPoolIo workers and the record worker run the compiled dist/
// (kept in the sandbox, not rebuilt), so a mutant is only exercised where the
// code runs on the main thread: AsyncCipher's inline path, the record layer's
// inline sealing and opening, every certificate check.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/tls/record-layer.test.ts",
      "test/tls/record-sequence.test.ts",
      "test/tls/sealing-buffers.test.ts",
      "test/tls/certificate-path.test.ts",
      "test/tls/certificate-caches.test.ts",
      "test/async-cipher.test.ts",
      "test/cipher-streams.test.ts",
      "test/vectors.test.ts",
      "test/aead-key-arguments.test.ts",
      "test/tls/record-layer-checks.test.ts",
      "test/tls/record-layer-sealing.test.ts",
      "test/tls/record-layer-early-data.test.ts",
      "test/tls/record-layer-batches.test.ts",
      "test/tls/record-layer-in-place.test.ts",
      "test/tls/certificate-path-checks.test.ts",
      "test/tls/certificate-verifier.test.ts",
      "test/envelope-header.test.ts",
      "test/chunked-aead.test.ts",
    ],
    testTimeout: 20_000,
  },
});
