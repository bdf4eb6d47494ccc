import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Worker threads load compiled JavaScript, so the thread-pool tests need a fresh dist/.
    globalSetup: ["./test/global-setup.ts"],
  },
});
