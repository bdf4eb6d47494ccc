/**
 * Crypto benchmarks: each provider against its library called directly, and
 * AsyncCipher on a 2-worker ThreadPoolIo against the single-thread rate.
 * Run: `cd packages/crypto && ../../node_modules/.bin/tsc -p tsconfig.bench.json && node .bench-dist/bench/run.js`
 */
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { gcm } from "@noble/ciphers/aes.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { type BenchCase, measureLoopLag, percentile, runSuite, timed } from "@zsync/bench-harness";
import { ThreadPoolIo } from "@zsync/runtime/node";
import { AsyncCipher, getProvider, nobleProvider } from "../src/index.js";

const node = getProvider("node");
const KiB = 1024;
const MiB = 1024 * KiB;
const nonce = new Uint8Array(12);
const key16 = randomBytes(16);
const key32 = randomBytes(32);

function sealCases(size: number, label: string): BenchCase[] {
  const data = randomBytes(size);
  const nodeGcm = node.aead("aes-128-gcm", key16);
  const nodeChacha = node.aead("chacha20-poly1305", key32);
  const nobleGcm = nobleProvider.aead("aes-128-gcm", key16);
  const nobleChacha = nobleProvider.aead("chacha20-poly1305", key32);
  const time = size >= MiB ? 400 : 250;
  const directNode = (algorithm: "aes-128-gcm" | "chacha20-poly1305", key: Uint8Array) => () => {
    const cipher = createCipheriv(algorithm as "aes-128-gcm", key, nonce, { authTagLength: 16 });
    return Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
  };
  const cases: BenchCase[] = [
    timed({
      name: `node AES-128-GCM seal ${label}`,
      ours: () => nodeGcm.seal(nonce, data),
      anchor: { name: "node:crypto", fn: directNode("aes-128-gcm", key16) },
      target: "≥ 0.90x",
      timeMs: time,
    }),
    timed({
      name: `node ChaCha20-Poly1305 seal ${label}`,
      ours: () => nodeChacha.seal(nonce, data),
      anchor: { name: "node:crypto", fn: directNode("chacha20-poly1305", key32) },
      target: "≥ 0.90x",
      timeMs: time,
    }),
    timed({
      name: `noble AES-128-GCM seal ${label}`,
      ours: () => nobleGcm.seal(nonce, data),
      anchor: { name: "@noble/ciphers", fn: () => gcm(key16, nonce).encrypt(data) },
      target: "≥ 0.90x",
      timeMs: time,
      rounds: size >= MiB ? 3 : 5,
    }),
    timed({
      name: `noble ChaCha20-Poly1305 seal ${label}`,
      ours: () => nobleChacha.seal(nonce, data),
      anchor: { name: "@noble/ciphers", fn: () => chacha20poly1305(key32, nonce).encrypt(data) },
      target: "≥ 0.90x",
      timeMs: time,
      rounds: size >= MiB ? 3 : 5,
    }),
  ];
  return cases;
}

const mib = randomBytes(MiB);
const hashCases: BenchCase[] = [
  timed({
    name: "node SHA-256 1 MiB",
    ours: () => node.hash("sha256", mib),
    anchor: { name: "node:crypto", fn: () => createHash("sha256").update(mib).digest() },
    target: "≥ 0.90x",
    timeMs: 400,
  }),
  timed({
    name: "noble SHA-256 1 MiB",
    ours: () => nobleProvider.hash("sha256", mib),
    anchor: { name: "@noble/hashes", fn: () => sha256(mib) },
    target: "≥ 0.90x",
    timeMs: 400,
    rounds: 3,
  }),
];

const BIG = Number(process.env.CRYPTO_BENCH_MIB ?? 256) * MiB;
const pool = new ThreadPoolIo({ minThreads: 2, maxThreads: 2 });
const cipherKey = AsyncCipher.generateKey();
const pooled = new AsyncCipher(cipherKey, { io: pool });
const single = new AsyncCipher(cipherKey);
let big: Uint8Array = new Uint8Array(0);
let lagP99 = 0;

async function ensureBig(): Promise<void> {
  if (big.length === BIG) return;
  big = randomBytes(BIG);
  await pooled.encrypt(big.subarray(0, 8 * MiB)); // start workers, load the task module
}

const mbps = async (cipher: AsyncCipher): Promise<number> => {
  const start = performance.now();
  await cipher.encrypt(big);
  return BIG / MiB / ((performance.now() - start) / 1000);
};

const parallelCases: BenchCase[] = [
  {
    name: `AsyncCipher encrypt ${BIG / MiB} MiB, 2 workers vs 1 thread`,
    unit: "MiB/s",
    better: "higher",
    rounds: 3,
    target: "≥ 1.6x",
    setup: ensureBig,
    ours: () => mbps(pooled),
    anchor: { name: "AsyncCipher inline (1 thread)", sample: () => mbps(single) },
  },
  {
    name: `event-loop lag p99 during ${BIG / MiB} MiB pooled encrypt`,
    unit: "ms",
    better: "lower",
    rounds: 3,
    target: "< 5 ms",
    setup: ensureBig,
    ours: async () => {
      const lags = await measureLoopLag(() => pooled.encrypt(big));
      lagP99 = percentile(lags, 99);
      return lagP99;
    },
    anchor: { name: "inline encrypt (same data)", sample: async () => percentile(await measureLoopLag(() => single.encrypt(big)), 99) },
    teardown: async () => {
      big = new Uint8Array(0);
      await pool.shutdown();
    },
  },
];

await runSuite("crypto", [...sealCases(1200, "1200 B"), ...sealCases(MiB, "1 MiB"), ...hashCases, ...parallelCases]);
process.exit(0);
