// Mutation testing of @zsync/quic's critical modules (issue 14): `pnpm mutate`
// runs every module below; `pnpm mutate --mutate src/proto/wire/varint.ts`
// runs one. Scores and equivalent survivors are in the README's
// "Mutation testing" section; the shared settings are in
// tools/stryker/base-config.mjs.
import { mutationConfig } from "../../tools/stryker/base-config.mjs";

export default mutationConfig({
  name: "quic",
  mutate: [
    "src/proto/wire/varint.ts",
    "src/proto/wire/packet-header.ts",
    "src/proto/wire/frame.ts",
    "src/proto/wire/ack-frame.ts",
    "src/proto/recovery/loss-detection.ts",
    "src/proto/recovery/ack-manager.ts",
    "src/proto/streams/flow-control.ts",
    "src/proto/streams/assembler.ts",
    "src/h3/qpack/integer.ts",
    "src/h3/qpack/huffman.ts",
    "src/h3/qpack/string-literal.ts",
    "src/h3/qpack/field-section-prefix.ts",
    "src/h3/qpack/encoder-instructions.ts",
    "src/h3/qpack/decoder-instructions.ts",
    "src/h3/frames.ts",
    "src/h3/settings.ts",
  ],
  // The suite reads sources only (crypto's and sqlite's run workers from dist/):
  // keep the build output out of the sandbox.
  ignorePatterns: ["/dist"],
});
