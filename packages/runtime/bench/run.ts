// `pnpm bench` for @zsync/runtime: every case side by side with its anchor.
// BENCH_FILTER=<substring> runs only the cases whose name contains it.
import { runSuite } from "@zsync/bench-harness";
import { channelCases } from "./channel.js";
import { coreCases } from "./core.js";
import { nodeCases } from "./node.js";
import { syncCases } from "./sync.js";

await runSuite("runtime", [...coreCases, ...channelCases, ...syncCases, ...nodeCases]);
