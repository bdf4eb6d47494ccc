/** Helpers of the address-validation tests: deterministic entropy, so a failing run replays exactly. */

/** xorshift32 bytes from a seed: deterministic, not cryptographic (tests only). */
export function seededBytes(seed: number): (out: Uint8Array) => void {
  let x = (seed * 2654435761) >>> 0 || 1;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
  };
}
