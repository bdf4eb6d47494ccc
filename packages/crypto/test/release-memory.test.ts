/**
 * `releaseMemory` frees a buffer's memory at once (detaching its
 * ArrayBuffer) only when the view covers all of it and it is not shared:
 * a pooled Buffer, a subarray or a SharedArrayBuffer view shares memory with
 * other data and is left alone. The node provider's AEAD releases only the
 * node:crypto buffers it copied out of, never what it returns.
 */
import { describe, expect, test } from "vitest";
import { getProvider } from "../src/index.js";
import { releaseMemory } from "../src/primitives/providers/release-memory.js";

describe("releaseMemory", () => {
  test("frees a view that spans its whole ArrayBuffer (on this Node, natively or through the flagged builtin)", () => {
    const view = new Uint8Array(65536).fill(1);
    const other = new Uint8Array(view.buffer);
    expect(releaseMemory(view)).toBe(true);
    expect(view.length).toBe(0);
    expect(other.length).toBe(0);
    expect(view.buffer.byteLength).toBe(0);
  });

  test("leaves memory it does not own alone: a subarray, a pooled Buffer, shared memory, an empty view", () => {
    const whole = new Uint8Array(1024).fill(2);
    const part = whole.subarray(0, 512);
    expect(releaseMemory(part)).toBe(false);
    expect(whole.every((b) => b === 2)).toBe(true);
    const pooled = Buffer.from("pooled");
    const neighbour = Buffer.from("neighbour");
    expect(releaseMemory(pooled)).toBe(false);
    expect(pooled.toString()).toBe("pooled");
    expect(neighbour.toString()).toBe("neighbour");
    const shared = new Uint8Array(new SharedArrayBuffer(64)).fill(3);
    expect(releaseMemory(shared)).toBe(false);
    expect(shared.length).toBe(64);
    expect(releaseMemory(new Uint8Array(0))).toBe(false);
  });

  test("the node provider's seal and open stay intact: into caller output and into fresh memory", () => {
    const key = getProvider("node").aead("aes-128-gcm", new Uint8Array(16).fill(9));
    const nonce = new Uint8Array(12).fill(4);
    const aad = Uint8Array.of(23, 3, 3, 64, 17);
    const plaintext = Uint8Array.from({ length: 16385 }, (_, i) => i & 0xff);
    const sealed = key.seal(nonce, plaintext, aad);
    const into = new Uint8Array(plaintext.length + 16);
    expect(key.seal(nonce, plaintext, aad, into)).toEqual(sealed);
    const opened = key.open(nonce, sealed, aad);
    const openedInto = key.open(nonce, sealed, aad, new Uint8Array(plaintext.length));
    key.seal(nonce, plaintext, aad); // more work after: what was returned must not have been freed
    expect(opened).toEqual(plaintext);
    expect(openedInto).toEqual(plaintext);
    expect(sealed.length).toBe(plaintext.length + 16);
  });
});
