import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // A hang guard, not a performance bound: the property, simulator and
    // interop suites run thousands of seeded cases and real peers, and CI
    // runs them on 2 shared cores. Performance targets live in `bench/`.
    testTimeout: 30_000,
  },
});
