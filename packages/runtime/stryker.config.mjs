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
  ],
  // The suite reads sources only (crypto's and sqlite's run workers from dist/):
  // keep the build output out of the sandbox.
  ignorePatterns: ["/dist"],
});
