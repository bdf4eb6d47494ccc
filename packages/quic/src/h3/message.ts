/**
 * HTTP message rules of RFC 9114 §4.2-4.3 over decoded field sections: what
 * makes a request, response or trailer section well formed. Everything here
 * throws {@link Http3MessageError} (H3_MESSAGE_ERROR, a stream error: only
 * the offending request stream is reset, §4.1.2), never anything else.
 *
 * - field names: not empty, RFC 9110 token characters, no uppercase (§4.2);
 *   values: no NUL, CR or LF (RFC 9110 §5.5);
 * - connection-specific fields (`connection`, `keep-alive`,
 *   `proxy-connection`, `transfer-encoding`, `upgrade`) are malformed, and
 *   `te` with any value but `trailers` (§4.2);
 * - pseudo-header fields: only the defined ones, each once, all before the
 *   regular fields, request ones in requests and `:status` in responses,
 *   none in trailers (§4.3);
 * - requests: `:method`, `:scheme` and a non-empty `:path`, and for `http`
 *   and `https` an `:authority` or `host` (equal when both); CONNECT has
 *   `:method` and `:authority` only (§4.4); extended CONNECT (`:protocol`,
 *   RFC 9220) is not supported, so `:protocol` is an unknown pseudo-header;
 * - responses: a three-digit `:status`; 101 is malformed (§4.5: no Upgrade);
 * - `content-length`: digits, the same value if repeated; the DATA frames
 *   must add up to it ({@link BodyLength}, §4.1.2).
 *
 * @example
 * ```ts
 * import { parseRequestFields } from "@zsync/quic/h3";
 * const head = parseRequestFields([
 *   { name: ":method", value: "GET" },
 *   { name: ":scheme", value: "https" },
 *   { name: ":authority", value: "example.com" },
 *   { name: ":path", value: "/" },
 * ]);
 * head.method; // "GET"
 * ```
 * @module
 */
import { Http3MessageError } from "./errors.js";
import type { Field } from "./qpack/field.js";

/** A request's control data (§4.3.1) and its regular fields. */
export interface RequestHead {
  readonly method: string;
  /** Absent only for CONNECT. */
  readonly scheme: string | undefined;
  readonly authority: string | undefined;
  /** Absent only for CONNECT. */
  readonly path: string | undefined;
  /** The regular fields, in order. */
  readonly fields: Field[];
  /** The declared content-length, if any. */
  readonly contentLength: number | undefined;
}

/** A response's status (§4.3.2) and its regular fields. */
export interface ResponseHead {
  readonly status: number;
  readonly fields: Field[];
  readonly contentLength: number | undefined;
}

const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
const REQUEST_PSEUDO = new Set([":method", ":scheme", ":authority", ":path"]);

/** RFC 9110 §5.6.2 tchar, lowercase letters only (§4.2 of RFC 9114). */
const TOKEN = (() => {
  const ok = new Uint8Array(128);
  for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") ok[c.charCodeAt(0)] = 1;
  return ok;
})();

function fail(reason: string): never {
  throw new Http3MessageError(reason);
}

/** Checks one regular field's name and value (§4.2, RFC 9110 §5.5). */
export function checkRegularField(name: string, value: string): void {
  if (name.length === 0) fail("empty field name");
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || TOKEN[c] !== 1) {
      fail(c >= 0x41 && c <= 0x5a ? `field name "${name}" has uppercase characters` : `field name "${name}" has a character outside token`);
    }
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x00 || c === 0x0a || c === 0x0d) fail(`field "${name}" has NUL, CR or LF in its value`);
  }
  if (CONNECTION_SPECIFIC.has(name)) fail(`connection-specific field "${name}"`);
  if (name === "te" && value !== "trailers") fail(`te: "${value}" (only "trailers" is allowed)`);
}

/** The content-length of a section, validated: digits only, one value however often it is repeated (RFC 9110 §8.6). */
function contentLengthOf(fields: readonly Field[]): number | undefined {
  let length: number | undefined;
  for (const { name, value } of fields) {
    if (name !== "content-length") continue;
    for (const part of value.split(",")) {
      const trimmed = part.trim();
      if (!/^[0-9]{1,15}$/.test(trimmed)) fail(`content-length "${value}" is not a number`);
      const n = Number(trimmed);
      if (length !== undefined && n !== length) fail(`content-length values differ (${length} and ${n})`);
      length = n;
    }
  }
  return length;
}

/** Splits a section into its pseudo-header fields (checked for order and duplicates) and regular fields (checked). */
function split(fields: readonly Field[], allowed: ReadonlySet<string>): { pseudo: Map<string, string>; regular: Field[] } {
  const pseudo = new Map<string, string>();
  const regular: Field[] = [];
  for (const field of fields) {
    const { name, value } = field;
    if (name.startsWith(":")) {
      if (regular.length > 0) fail(`pseudo-header ${name} after a regular field`);
      if (!allowed.has(name)) fail(`pseudo-header ${name} is not allowed here`);
      if (pseudo.has(name)) fail(`pseudo-header ${name} appears twice`);
      pseudo.set(name, value);
      continue;
    }
    checkRegularField(name, value);
    regular.push(field);
  }
  return { pseudo, regular };
}

/** Parses and validates a request's header section (§4.3.1, §4.4). */
export function parseRequestFields(fields: readonly Field[]): RequestHead {
  const { pseudo, regular } = split(fields, REQUEST_PSEUDO);
  const method = pseudo.get(":method");
  if (method === undefined || method.length === 0) fail("request without :method");
  for (let i = 0; i < method.length; i++) {
    const c = method.charCodeAt(i);
    // A method is a token; unlike field names it is case-sensitive.
    if (c >= 128 || (TOKEN[c] !== 1 && !(c >= 0x41 && c <= 0x5a))) fail(`:method "${method}" is not a token`);
  }
  const scheme = pseudo.get(":scheme");
  const path = pseudo.get(":path");
  let authority = pseudo.get(":authority");
  const host = regular.find((f) => f.name === "host")?.value;
  if (method === "CONNECT") {
    if (scheme !== undefined || path !== undefined) fail("CONNECT with :scheme or :path");
    if (authority === undefined || authority.length === 0) fail("CONNECT without :authority");
  } else {
    if (scheme === undefined || scheme.length === 0) fail("request without :scheme");
    if (path === undefined || path.length === 0) fail("request without :path (or with an empty one)");
    if (scheme === "http" || scheme === "https") {
      if ((authority === undefined || authority.length === 0) && (host === undefined || host.length === 0)) {
        fail(`${scheme} request without :authority or host`);
      }
    }
    if (authority !== undefined && host !== undefined && authority !== host) fail(":authority and host differ");
    if (authority?.includes("@")) fail(":authority has userinfo");
  }
  authority ??= host;
  for (const value of [authority, path, scheme]) {
    if (value === undefined) continue;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c <= 0x20 || c >= 0x7f) fail("a request pseudo-header has a control character, space or non-ASCII byte");
    }
  }
  return { method, scheme, authority, path, fields: regular, contentLength: contentLengthOf(regular) };
}

const RESPONSE_PSEUDO = new Set([":status"]);

/** Parses and validates a response's header section (§4.3.2); 1xx responses are interim (§4.1). */
export function parseResponseFields(fields: readonly Field[]): ResponseHead {
  const { pseudo, regular } = split(fields, RESPONSE_PSEUDO);
  const raw = pseudo.get(":status");
  if (raw === undefined) fail("response without :status");
  if (!/^[1-9][0-9]{2}$/.test(raw)) fail(`:status "${raw}" is not three digits`);
  const status = Number(raw);
  if (status === 101) fail(":status 101 (Switching Protocols) does not exist in HTTP/3");
  return { status, fields: regular, contentLength: contentLengthOf(regular) };
}

const NO_PSEUDO = new Set<string>();

/** Validates a trailer section: regular fields only (§4.1, §4.3). */
export function parseTrailerFields(fields: readonly Field[]): Field[] {
  return split(fields, NO_PSEUDO).regular;
}

/**
 * Counts a message's DATA bytes against its content-length (§4.1.2: a
 * mismatch is malformed). `expectNone` for responses that have no content
 * whatever their content-length says: to HEAD, 204, 304 (RFC 9110 §6.4.1).
 */
export class BodyLength {
  readonly #declared: number | undefined;
  readonly #expectNone: boolean;
  #received = 0;

  constructor(declared: number | undefined, expectNone = false) {
    this.#declared = declared;
    this.#expectNone = expectNone;
  }

  /** Bytes counted so far. */
  get received(): number {
    return this.#received;
  }

  /** Counts `n` more bytes; throws once they exceed what was declared. */
  add(n: number): void {
    this.#received += n;
    if (this.#expectNone && this.#received > 0) fail("content in a response that has none (HEAD, 204 or 304)");
    if (this.#declared !== undefined && !this.#expectNone && this.#received > this.#declared) {
      fail(`more content than content-length ${this.#declared}`);
    }
  }

  /** The message ended: throws if fewer bytes came than declared. */
  end(): void {
    if (this.#declared !== undefined && !this.#expectNone && this.#received !== this.#declared) {
      fail(`content-length ${this.#declared}, but ${this.#received} bytes of content`);
    }
  }
}
