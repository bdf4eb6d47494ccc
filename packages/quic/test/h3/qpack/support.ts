/** Helpers shared by the QPACK tests: hex in and out, and a `fail` that throws a plain error. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class WireFailure extends Error {}

export const fail = (reason: string): never => {
  throw new WireFailure(reason);
};
