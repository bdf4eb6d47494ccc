import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Connection workers run the compiled dist/worker/connection-worker.js: build dist/ first.
    globalSetup: ["./test/global-setup.ts"],
  },
});
