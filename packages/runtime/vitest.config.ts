import { existsSync } from "node:fs";
import { playwright } from "@vitest/browser-playwright";
import { defineConfig, type TestProjectInlineConfiguration } from "vitest/config";

// The portable core's suite also runs in headless Chromium to prove it needs
// nothing from Node. CI installs Debian's chromium and sets
// ZSYNC_REQUIRE_BROWSER=1 so that a missing browser fails the run instead of
// silently skipping the pass.
const chromium = process.env.CHROMIUM_PATH ?? ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
if (chromium === undefined) {
  const message = "browser pass: no Chromium found (install Debian's chromium or set CHROMIUM_PATH)";
  if (process.env.ZSYNC_REQUIRE_BROWSER === "1") throw new Error(message);
  console.warn(`\n*** ${message}; running the Node pass only ***\n`);
}

// Tests that need Node (sockets, workers, files, source scanning) stay out of the browser pass.
const nodeOnly = ["test/node/**", "test/**/*.node.test.ts", "test/pool-*.test.ts"];

const projects: TestProjectInlineConfiguration[] = [
  {
    test: {
      name: "node",
      include: ["test/**/*.test.ts"],
      environment: "node",
    },
  },
];

if (chromium !== undefined) {
  projects.push({
    test: {
      name: "browser",
      include: ["test/**/*.test.ts"],
      exclude: nodeOnly,
      browser: {
        enabled: true,
        headless: true,
        screenshotFailures: false,
        provider: playwright({
          launchOptions: {
            executablePath: chromium,
            args: [
              "--no-sandbox",
              "--disable-gpu",
              "--disable-quic",
              "--no-first-run",
              "--disable-background-networking",
              "--disable-component-update",
              "--disable-sync",
            ],
          },
        }),
        instances: [{ browser: "chromium" }],
      },
    },
  });
}

export default defineConfig({
  test: {
    // Pool workers run the compiled dist/node/pool-worker.js: build dist/ first.
    globalSetup: ["./test/global-setup.ts"],
    projects,
    testTimeout: 20_000,
  },
});
