// Mutation testing of @zsync/crypto's critical modules (issue 14): `pnpm mutate`
// runs every module below; `pnpm mutate --mutate src/tls/record/record-layer.ts`
// runs one. Scores and equivalent survivors are in the README's
// "Mutation testing" section.
import { fileURLToPath } from "node:url";

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  // pnpm keeps the runner out of the core's node_modules: name it by path.
  plugins: [fileURLToPath(import.meta.resolve("@stryker-mutator/vitest-runner"))],
  testRunner: "vitest",
  // Stryker rewrites a tsconfig's relative paths with TypeScript's JavaScript
  // API, which TypeScript 7 does not have; vitest only needs the sources.
  tsconfigFile: "tsconfig.stryker-none.json",
  vitest: { configFile: "stryker.vitest.config.mjs", related: false },
  coverageAnalysis: "perTest",
  mutate: [
    "src/tls/record/record-layer.ts",
    "src/primitives/aead-key.ts",
    "src/bulk/envelope.ts",
    "src/bulk/chunked-aead.ts",
    "src/tls/pki/certificates.ts",
    "src/tls/pki/x509/path-checks.ts",
  ],
  // Incremental: results of unchanged mutants and tests are reused from this
  // committed file, so a run on an unchanged tree re-runs nothing.
  incremental: true,
  incrementalFile: "mutation/stryker-incremental.json",
  concurrency: 2,
  timeoutMS: 10000,
  timeoutFactor: 2,
  reporters: ["clear-text", "progress-append-only", "json"],
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  thresholds: { high: 90, low: 80, break: null },
  // The sandbox must sit two levels below the repository root, like the
  // package itself, so tsconfig.json's "extends": "../../tsconfig.base.json"
  // (which vite's TypeScript transform reads) still resolves inside it.
  tempDirName: "../../.stryker-tmp-crypto",
  ignorePatterns: ["/.bench-dist", "/.cache", "/bench"],
  cleanTempDir: "always",
};
