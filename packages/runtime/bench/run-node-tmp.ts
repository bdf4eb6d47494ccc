import { runSuite } from "@zsync/bench-harness";
import { nodeCases } from "./node.js";

await runSuite("runtime-node-tmp", nodeCases, { outDir: "/tmp/bench-out" });
process.exit(0);
