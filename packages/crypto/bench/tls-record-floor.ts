/**
 * The part of our bulk CPU that node:crypto's API fixes per record,
 * measured on the machine the bench runs on and printed beside the bulk
 * rows. Each TLS record needs its own cipher object (one nonce per
 * `createCipheriv`/`createDecipheriv`), and the calls around the data
 * (`setAAD`, `setAuthTag`, `final`, `getAuthTag`) cost the same for every
 * record whatever its size; OpenSSL's own record layer, which node:tls uses,
 * pays none of it. On Node 24, whose OpenSSL runs AES-GCM on a 16 KiB
 * record in well under a microsecond, this fixed part is about half of a
 * whole seal or open, and across both ends (65,536 records per GiB) it is
 * of the same size as the 0.8x target's whole allowance over node:tls.
 *
 * @example
 * ```ts
 * import { recordFloor } from "./tls-record-floor.js";
 * const floor = recordFloor();
 * console.log(`${floor.sealUs} + ${floor.openUs} µs per record`);
 * ```
 * @module
 */
import { createCipheriv, createDecipheriv, createSecretKey } from "node:crypto";

/** Median CPU µs per record of the fixed calls, and what they add per GiB across sender and receiver. */
export interface RecordFloor {
  readonly sealUs: number;
  readonly openUs: number;
  readonly bothEndsSecondsPerGiB: number;
}

const RECORDS_PER_GIB = (1024 * 1024 * 1024) / 16384;

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Median over 3 runs of `n` calls, after a warm-up. */
function perCall(fn: () => void, n = 20_000): number {
  for (let i = 0; i < 2000; i++) fn();
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const start = cpuUs();
    for (let i = 0; i < n; i++) fn();
    runs.push((cpuUs() - start) / n);
  }
  return runs.sort((a, b) => a - b)[1] as number;
}

/** Measures the per-record fixed cost of sealing and opening (AES-128-GCM, key as a `KeyObject`, as the node provider holds it). */
export function recordFloor(): RecordFloor {
  const key = createSecretKey(new Uint8Array(16).fill(1));
  const nonce = new Uint8Array(12);
  const header = Uint8Array.of(23, 3, 3, 0x40, 0x11);
  const probe = createCipheriv("aes-128-gcm", key, nonce, { authTagLength: 16 });
  probe.setAAD(header);
  probe.final();
  const tag = probe.getAuthTag();
  const sealUs = perCall(() => {
    const cipher = createCipheriv("aes-128-gcm", key, nonce, { authTagLength: 16 });
    cipher.setAAD(header);
    cipher.final();
    cipher.getAuthTag();
  });
  const openUs = perCall(() => {
    const decipher = createDecipheriv("aes-128-gcm", key, nonce, { authTagLength: 16 });
    decipher.setAuthTag(tag);
    decipher.setAAD(header);
    decipher.final();
  });
  return { sealUs, openUs, bothEndsSecondsPerGiB: ((sealUs + openUs) * RECORDS_PER_GIB) / 1e6 };
}
