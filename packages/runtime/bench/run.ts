// `pnpm bench` for @zsync/runtime: every case side by side with its anchor.
import { type BenchCase, runSuite } from "@zsync/bench-harness";
import { coreCases } from "./core.js";

const suites: Array<Promise<{ readonly [name: string]: BenchCase[] }>> = [Promise.resolve({ coreCases })];

const cases: BenchCase[] = [];
for (const mod of await Promise.all(suites)) for (const list of Object.values(mod)) cases.push(...list);
await runSuite("runtime", cases);
