// Mutation testing of @zsync/sqlite's critical modules (issue 14): `pnpm mutate`
// runs every module below; `pnpm mutate --mutate src/transaction.ts`
// runs one. Scores and equivalent survivors are in the README's
// "Mutation testing" section; the shared settings are in
// tools/stryker/base-config.mjs.
import { mutationConfig } from "../../tools/stryker/base-config.mjs";

export default mutationConfig({
  name: "sqlite",
  mutate: ["src/transaction.ts", "src/writer-lane.ts", "src/request.ts"],
});
