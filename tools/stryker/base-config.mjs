// The Stryker settings every package's stryker.config.mjs shares (issue 14):
// each package names only its own `mutate` list. Scores and equivalent
// survivors are in each package README's "Mutation testing" section.
import { fileURLToPath } from "node:url";

/**
 * The mutation-testing configuration of one workspace package.
 *
 * @param {object} options
 * @param {string} options.name The package's directory under packages/ (names its sandbox).
 * @param {string[]} options.mutate The modules to mutate, relative to the package.
 * @param {string[]} [options.ignorePatterns] Extra paths kept out of the sandbox.
 * @returns {import("@stryker-mutator/api/core").PartialStrykerOptions}
 */
export function mutationConfig({ name, mutate, ignorePatterns = [] }) {
  return {
    // pnpm keeps the runner out of the core's node_modules: name it by path.
    plugins: [fileURLToPath(import.meta.resolve("@stryker-mutator/vitest-runner"))],
    testRunner: "vitest",
    // Stryker rewrites a tsconfig's relative paths with TypeScript's JavaScript
    // API, which TypeScript 7 does not have; vitest only needs the sources.
    tsconfigFile: "tsconfig.stryker-none.json",
    vitest: { configFile: "stryker.vitest.config.mjs", related: false },
    coverageAnalysis: "perTest",
    mutate,
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
    tempDirName: `../../.stryker-tmp-${name}`,
    ignorePatterns: [...ignorePatterns, "/.bench-dist", "/.cache", "/bench"],
    cleanTempDir: "always",
  };
}
