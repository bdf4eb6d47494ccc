/**
 * Runs only the TLS benchmarks (`bench/tls.ts`); `bench/run.ts` runs them with the rest.
 * Run: `cd packages/crypto && ../../node_modules/.bin/tsc -p tsconfig.bench.json && node .bench-dist/bench/tls-run.js`
 * (`BENCH_FILTER=handshake` or `BENCH_FILTER=bulk` selects one case.)
 */
import { runSuite } from "@zsync/bench-harness";
import { tlsCases } from "./tls.js";

await runSuite("crypto-tls", tlsCases);
process.exit(0);
