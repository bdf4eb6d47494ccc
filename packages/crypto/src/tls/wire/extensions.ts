/**
 * Extension blocks and the codecs of each extension TLS 1.3 uses here. A
 * block decodes to an ordered list plus a lookup map; duplicates are refused
 * (illegal_parameter) as RFC 9846 §4.2 requires.
 *
 * @example
 * ```ts
 * import { ByteReader } from "./bytes.js";
 * import { ExtensionType } from "./constants.js";
 * import { decodeExtensions } from "./extensions.js";
 * declare const bytes: Uint8Array;
 * const block = decodeExtensions(new ByteReader(bytes).vector16());
 * const alpn = block.map.get(ExtensionType.Alpn);
 * ```
 * @module
 */
import { decodeError, TlsProtocolError } from "../errors.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import { AlertDescription } from "./constants.js";

/** One raw extension. */
export interface Extension {
  readonly type: number;
  readonly data: Uint8Array;
}

/** A decoded extension block. */
export interface ExtensionBlock {
  readonly list: readonly Extension[];
  readonly map: ReadonlyMap<number, Uint8Array>;
}

/** Reads `Extension extensions<0..2^16-1>` from `reader` (the vector itself, length already consumed). */
export function decodeExtensions(reader: ByteReader): ExtensionBlock {
  const list: Extension[] = [];
  const map = new Map<number, Uint8Array>();
  while (reader.remaining > 0) {
    const type = reader.u16("extension type");
    const data = reader.opaque16("extension data");
    if (map.has(type)) throw new TlsProtocolError(AlertDescription.illegal_parameter, `duplicate extension ${type}`);
    map.set(type, data);
    list.push({ type, data });
  }
  return { list, map };
}

/** Writes an extension block (with its 2-byte length). */
export function encodeExtensions(w: ByteWriter, extensions: readonly Extension[]): void {
  w.vector16(() => {
    for (const e of extensions) w.u16(e.type).opaque16(e.data);
  });
}

function build(body: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(64);
  body(w);
  return w.finish().slice();
}

const latin1 = (bytes: Uint8Array): string => String.fromCharCode(...bytes);
const fromLatin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

// server_name (RFC 6066 §3)
export function encodeServerName(host: string): Uint8Array {
  return build((w) => w.vector16(() => w.u8(0).opaque16(fromLatin1(host))));
}
/** The host_name in a ClientHello server_name extension, or undefined if none. */
export function decodeServerName(data: Uint8Array): string | undefined {
  const r = new ByteReader(data);
  const list = r.vector16("server_name_list");
  r.done("server_name");
  let host: string | undefined;
  if (list.remaining === 0) throw decodeError("empty server_name_list");
  while (list.remaining > 0) {
    const type = list.u8("name_type");
    const name = list.opaque16("host_name", 1);
    if (type === 0) {
      if (host !== undefined) throw new TlsProtocolError(AlertDescription.illegal_parameter, "two host_name entries");
      host = latin1(name);
    }
  }
  return host;
}

// u16 lists: supported_groups, signature_algorithms
export function encodeU16List(values: readonly number[]): Uint8Array {
  return build((w) =>
    w.vector16(() => {
      for (const v of values) w.u16(v);
    }),
  );
}
export function decodeU16List(data: Uint8Array, what: string): number[] {
  const r = new ByteReader(data);
  const out = r.u16List(what, 1);
  r.done(what);
  return out;
}

// supported_versions
export function encodeClientVersions(versions: readonly number[]): Uint8Array {
  return build((w) =>
    w.vector8(() => {
      for (const v of versions) w.u16(v);
    }),
  );
}
export function decodeClientVersions(data: Uint8Array): number[] {
  const r = new ByteReader(data);
  const v = r.vector8("supported_versions");
  r.done("supported_versions");
  if (v.remaining === 0 || v.remaining % 2 !== 0) throw decodeError("bad supported_versions length");
  const out: number[] = [];
  while (v.remaining > 0) out.push(v.u16());
  return out;
}
export function encodeU16(value: number): Uint8Array {
  return build((w) => w.u16(value));
}
export function decodeU16(data: Uint8Array, what: string): number {
  const r = new ByteReader(data);
  const v = r.u16(what);
  r.done(what);
  return v;
}

// key_share
export interface KeyShareEntry {
  readonly group: number;
  readonly key: Uint8Array;
}
export function encodeClientKeyShares(entries: readonly KeyShareEntry[]): Uint8Array {
  return build((w) =>
    w.vector16(() => {
      for (const e of entries) w.u16(e.group).opaque16(e.key);
    }),
  );
}
export function decodeClientKeyShares(data: Uint8Array): KeyShareEntry[] {
  const r = new ByteReader(data);
  const v = r.vector16("client_shares");
  r.done("key_share");
  const out: KeyShareEntry[] = [];
  const seen = new Set<number>();
  while (v.remaining > 0) {
    const group = v.u16("key share group");
    const key = v.opaque16("key_exchange", 1);
    if (seen.has(group)) throw new TlsProtocolError(AlertDescription.illegal_parameter, `two key shares for group ${group}`);
    seen.add(group);
    out.push({ group, key });
  }
  return out;
}
export function encodeServerKeyShare(entry: KeyShareEntry): Uint8Array {
  return build((w) => w.u16(entry.group).opaque16(entry.key));
}
export function decodeServerKeyShare(data: Uint8Array): KeyShareEntry {
  const r = new ByteReader(data);
  const group = r.u16("key share group");
  const key = r.opaque16("key_exchange", 1);
  r.done("key_share");
  return { group, key };
}

// application_layer_protocol_negotiation (RFC 7301)
export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  return build((w) =>
    w.vector16(() => {
      for (const p of protocols) w.opaque8(fromLatin1(p));
    }),
  );
}
export function decodeAlpn(data: Uint8Array): string[] {
  const r = new ByteReader(data);
  const v = r.vector16("protocol_name_list");
  r.done("alpn");
  const out: string[] = [];
  while (v.remaining > 0) out.push(latin1(v.opaque8("protocol name", 1)));
  if (out.length === 0) throw decodeError("empty ALPN list");
  return out;
}

// psk_key_exchange_modes
export function encodeU8List(values: readonly number[]): Uint8Array {
  return build((w) =>
    w.vector8(() => {
      for (const v of values) w.u8(v);
    }),
  );
}
export function decodeU8List(data: Uint8Array, what: string): number[] {
  const r = new ByteReader(data);
  const v = r.vector8(what);
  r.done(what);
  const out: number[] = [];
  while (v.remaining > 0) out.push(v.u8());
  return out;
}

// cookie
export function decodeOpaque16(data: Uint8Array, what: string): Uint8Array {
  const r = new ByteReader(data);
  const v = r.opaque16(what, 1);
  r.done(what);
  return v;
}
export function encodeOpaque16(data: Uint8Array): Uint8Array {
  return build((w) => w.opaque16(data));
}

// pre_shared_key
export interface PskIdentity {
  readonly identity: Uint8Array;
  readonly obfuscatedTicketAge: number;
}
export interface OfferedPsks {
  readonly identities: readonly PskIdentity[];
  readonly binders: readonly Uint8Array[];
  /** Length of the binders vector including its 2-byte length (the truncated ClientHello excludes it). */
  readonly bindersLength: number;
}
export function decodeOfferedPsks(data: Uint8Array): OfferedPsks {
  const r = new ByteReader(data);
  const ids = r.vector16("identities");
  const identities: PskIdentity[] = [];
  while (ids.remaining > 0)
    identities.push({ identity: ids.opaque16("identity", 1), obfuscatedTicketAge: ids.u32("obfuscated_ticket_age") });
  const bindersStart = r.offset;
  const bs = r.vector16("binders");
  const binders: Uint8Array[] = [];
  while (bs.remaining > 0) binders.push(bs.opaque8("binder", 32));
  r.done("pre_shared_key");
  if (identities.length === 0 || identities.length !== binders.length)
    throw new TlsProtocolError(AlertDescription.illegal_parameter, "PSK identities and binders differ in number");
  return { identities, binders, bindersLength: r.offset - bindersStart };
}
export function encodeOfferedPsks(identities: readonly PskIdentity[], binders: readonly Uint8Array[]): Uint8Array {
  return build((w) => {
    w.vector16(() => {
      for (const i of identities) w.opaque16(i.identity).u32(i.obfuscatedTicketAge);
    });
    w.vector16(() => {
      for (const b of binders) w.opaque8(b);
    });
  });
}
