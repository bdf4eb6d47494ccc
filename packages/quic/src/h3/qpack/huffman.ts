/**
 * The HPACK Huffman code (RFC 7541 §5.2, Appendix B) for QPACK string
 * literals: an encoder, its output length, and a decoder that refuses every
 * input RFC 7541 §5.2 makes an error: a code for EOS, padding longer than 7
 * bits, and padding that is not the most significant bits of EOS (all ones).
 *
 * The decoder is a table-driven state machine over 4-bit nibbles, built once
 * from `huffman-table.ts` when the module loads: its states are the 256
 * internal nodes of the code tree, and since no code is shorter than 5 bits a
 * nibble completes at most one symbol. Two table reads per input byte and no
 * per-bit branching: bounded, constant work per byte.
 *
 * Strings are byte strings: one character per octet (code points 0-255), the
 * form field names and values take in this QPACK implementation.
 *
 * @example
 * ```ts
 * import { ByteWriter } from "./byte-writer.js";
 * import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from "./huffman.js";
 * const out = new ByteWriter();
 * huffmanEncode(out, "www.example.com"); // f1e3 c2e5 f23a 6ba0 ab90 f4ff (RFC 7541 C.4.1)
 * huffmanEncodedLength("www.example.com"); // 12
 * const fail = (reason: string): never => { throw new Error(reason); };
 * huffmanDecode(out.view(), 0, out.length, 64, fail); // "www.example.com"
 * ```
 * @module
 */
import type { ByteWriter } from "./byte-writer.js";
import type { Fail } from "./errors.js";
import { HUFFMAN_CODES, HUFFMAN_EOS, HUFFMAN_LENGTHS } from "./huffman-table.js";

/** `emit` value of a transition that completes no symbol. */
const NONE = -1;
/** `emit` value of a transition that decodes EOS: an error. */
const EOS_SEEN = -2;

/** Per (state, nibble): the next state (an internal node of the tree). */
const nextState = new Uint8Array(256 * 16);
/** Per (state, nibble): the symbol completed, {@link NONE} or {@link EOS_SEEN}. */
const emitted = new Int16Array(256 * 16);
/** Per state: 1 when ending there is valid padding (reached from the root, or the last symbol, by 0-7 one bits). */
const accepting = new Uint8Array(256);

buildDecoder();

function buildDecoder(): void {
  // children[2 * node + bit]: an internal node (>= 0) or a leaf, stored as -(symbol + 1).
  const children = new Int32Array(512).fill(0x7fffffff);
  let nodes = 1;
  for (let sym = 0; sym <= HUFFMAN_EOS; sym++) {
    const code = HUFFMAN_CODES[sym]!;
    const len = HUFFMAN_LENGTHS[sym]!;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const slot = 2 * node + ((code >>> i) & 1);
      if (i === 0) {
        children[slot] = -(sym + 1);
      } else {
        if (children[slot] === 0x7fffffff) children[slot] = nodes++;
        node = children[slot]!;
      }
    }
  }
  if (nodes !== 256) throw new Error(`Huffman table: ${nodes} internal nodes, expected 256`);
  for (let state = 0; state < 256; state++) {
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let emit = NONE;
      for (let i = 3; i >= 0; i--) {
        const child = children[2 * node + ((nibble >>> i) & 1)]!;
        if (child >= 0) {
          node = child;
        } else {
          const sym = -child - 1;
          emit = sym === HUFFMAN_EOS ? EOS_SEEN : sym;
          node = 0;
          if (emit === EOS_SEEN) break;
        }
      }
      nextState[state * 16 + nibble] = node;
      emitted[state * 16 + nibble] = emit;
    }
  }
  let node = 0;
  for (let depth = 0; depth <= 7; depth++) {
    accepting[node] = 1;
    node = children[2 * node + 1]!;
  }
}

/** The number of bytes `value` (a byte string) takes Huffman-coded. */
export function huffmanEncodedLength(value: string): number {
  let bits = 0;
  for (let i = 0; i < value.length; i++) bits += HUFFMAN_LENGTHS[value.charCodeAt(i)]!;
  return Math.ceil(bits / 8);
}

const POW2: readonly number[] = Array.from({ length: 40 }, (_, i) => 2 ** i);

/** Appends `value` (a byte string), Huffman-coded and padded with the high bits of EOS. */
export function huffmanEncode(out: ByteWriter, value: string): void {
  out.reserve(huffmanEncodedLength(value));
  // acc holds `bits` pending bits (at most 7 between symbols, plus a code of up to 30: exact in a double).
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < value.length; i++) {
    const sym = value.charCodeAt(i);
    const len = HUFFMAN_LENGTHS[sym]!;
    acc = acc * POW2[len]! + HUFFMAN_CODES[sym]!;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      const byte = Math.floor(acc / POW2[bits]!);
      out.byte(byte);
      acc -= byte * POW2[bits]!;
    }
  }
  if (bits > 0) out.byte((acc << (8 - bits)) | (0xff >> bits));
}

/**
 * Decodes the Huffman-coded `bytes[start, end)` into a byte string of at most
 * `maxLength` characters; calls `fail` (which throws) on EOS or bad padding,
 * and `tooLong` (default `fail`) for a result longer than `maxLength`
 * (checked while decoding, so an oversized string never gets its full
 * allocation).
 */
export function huffmanDecode(
  bytes: Uint8Array,
  start: number,
  end: number,
  maxLength: number,
  fail: Fail,
  tooLong: Fail | (() => never) = fail,
): string {
  // Each symbol takes at least 5 bits, so n bytes decode to at most floor(8n / 5) characters.
  const bound = Math.min(Math.floor(((end - start) * 8) / 5), maxLength);
  const out = new Uint8Array(bound);
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    for (let shift = 4; shift >= 0; shift -= 4) {
      const t = state * 16 + ((b >>> shift) & 0x0f);
      const sym = emitted[t]!;
      if (sym !== NONE) {
        if (sym === EOS_SEEN) fail("Huffman string contains EOS");
        if (n >= bound) tooLong(`Huffman string longer than ${maxLength} bytes`);
        out[n++] = sym;
      }
      state = nextState[t]!;
    }
  }
  if (accepting[state] !== 1) fail("Huffman padding is longer than 7 bits or not all ones");
  return bytesToString(out, 0, n);
}

/** The byte string of `bytes[start, end)`: one character per octet. */
export function bytesToString(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(i + 4096, end)) as unknown as number[]);
  }
  return s;
}
