// Mutation testing of @zsync/runtime's critical modules (issue 14): `pnpm mutate`
// runs every module below; `pnpm mutate --mutate src/select.ts`
// runs one. Scores and equivalent survivors are in the README's
// "Mutation testing" section; the shared settings are in
// tools/stryker/base-config.mjs.
import { mutationConfig } from "../../tools/stryker/base-config.mjs";

export default mutationConfig({
  name: "runtime",
  mutate: [
    "src/select.ts",
    "src/channel/channel.ts",
    "src/channel/waiters.ts",
    "src/channel/wait-list.ts",
    "src/task.ts",
    "src/internal/cancel.ts",
    // The thread pool's cancel path, by line range (keep in step with the
    // source): Job.cancel, and the pool's kCancelJob and grace timer.
    "src/node/thread-pool.ts:163-167",
    "src/node/thread-pool.ts:410-437",
  ],
  // No ignorePatterns for /dist: the thread pool's workers run the compiled
  // dist/node/pool-worker.js (build before `pnpm mutate`), as in the suite.
});
