// Mutation testing of @zsync/crypto's critical modules (issue 14): `pnpm mutate`
// runs every module below; `pnpm mutate --mutate src/tls/record/record-layer.ts`
// runs one. Scores and equivalent survivors are in the README's
// "Mutation testing" section; the shared settings are in
// tools/stryker/base-config.mjs.
import { mutationConfig } from "../../tools/stryker/base-config.mjs";

export default mutationConfig({
  name: "crypto",
  mutate: [
    "src/tls/record/record-layer.ts",
    "src/primitives/aead-key.ts",
    "src/bulk/envelope.ts",
    "src/bulk/chunked-aead.ts",
    "src/tls/pki/certificates.ts",
    "src/tls/pki/x509/path-checks.ts",
  ],
});
