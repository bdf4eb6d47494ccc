/**
 * Generates X.509 certificates for tests and demos: a self-signed
 * `localhost` certificate, a throwaway CA, and leaves issued by it with
 * chosen names and validity (an already-expired one, a wrong-name one).
 * Keys are ECDSA P-256 (default) or Ed25519. The DER is written here
 * directly (a few fixed structures), signed with node:crypto, so generation
 * is synchronous and needs no global polyfills.
 *
 * @example
 * ```ts
 * import { generateSelfSignedCertificate, TlsListener } from "@zsync/crypto/tls";
 * const { certificatePem, privateKeyPem } = generateSelfSignedCertificate();
 * const listener = await TlsListener.bind({ port: 0, credentials: { certificate: certificatePem, privateKey: privateKeyPem } });
 * ```
 * @module
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import { isIP } from "node:net";
import { toPem } from "./pem.js";

/** A generated certificate with its key. */
export interface GeneratedCertificate {
  readonly certificatePem: string;
  readonly certificateDer: Uint8Array;
  readonly privateKeyPem: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly commonName: string;
}

/** Options of {@link generateCertificate}. */
export interface CertificateOptions {
  /** Subject common name (default "localhost"). */
  readonly commonName?: string;
  /** DNS names and IP addresses for subjectAltName (default localhost, 127.0.0.1, ::1). */
  readonly subjectAltNames?: readonly string[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Make a CA certificate (basicConstraints CA, keyCertSign). */
  readonly isCa?: boolean;
  /** Issuer; omitted means self-signed. */
  readonly issuer?: GeneratedCertificate;
  /** Key type of the new certificate (default "ecdsa-p256"). */
  readonly keyType?: "ecdsa-p256" | "ed25519";
  /** basicConstraints pathLenConstraint of a CA (default: none). */
  readonly pathLength?: number;
  /** Leave out basicConstraints entirely (default: present, critical). */
  readonly omitBasicConstraints?: boolean;
  /** keyUsage bits (critical); `null` leaves the extension out. Default: digitalSignature, plus keyCertSign and cRLSign for a CA. */
  readonly keyUsage?: readonly KeyUsageName[] | null;
  /** extendedKeyUsage purposes; `null` leaves the extension out. Default: serverAuth and clientAuth on a leaf, none on a CA. */
  readonly extendedKeyUsage?: readonly ExtendedKeyUsageName[] | null;
  /** More extensions, appended as given (for tests: an unknown critical extension, say). */
  readonly extraExtensions?: readonly { readonly oid: string; readonly critical: boolean; readonly value: Uint8Array }[];
}

/** The named bits of keyUsage (RFC 5280 §4.2.1.3), in bit order. */
export type KeyUsageName =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign"
  | "encipherOnly"
  | "decipherOnly";

const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
];

/** extendedKeyUsage purposes (RFC 5280 §4.2.1.12). */
export type ExtendedKeyUsageName = "serverAuth" | "clientAuth" | "codeSigning" | "emailProtection" | "anyExtendedKeyUsage";

const EKU_OIDS: Readonly<Record<ExtendedKeyUsageName, string>> = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  anyExtendedKeyUsage: "2.5.29.37.0",
};

const DAY = 86_400_000;

function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(1 + len.length + n);
  out[0] = tag;
  out.set(len, 1);
  out.set(content, 1 + len.length);
  return out;
}
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const seq = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, cat(...parts));
const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
const bits = (b: Uint8Array, unused = 0): Uint8Array => tlv(0x03, cat(Uint8Array.of(unused), b));

function oid(dotted: string): Uint8Array {
  const parts = dotted.split(".").map(Number);
  const out: number[] = [(parts[0] as number) * 40 + (parts[1] as number)];
  for (const p of parts.slice(2)) {
    const stack = [p & 0x7f];
    for (let v = p >>> 7; v > 0; v >>>= 7) stack.unshift((v & 0x7f) | 0x80);
    out.push(...stack);
  }
  return tlv(0x06, Uint8Array.from(out));
}

function time(d: Date): Uint8Array {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19);
  const year = d.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

function name(commonName: string): Uint8Array {
  return seq(tlv(0x31, seq(oid("2.5.4.3"), tlv(0x0c, Buffer.from(commonName, "utf8")))));
}

function ipBytes(ip: string): Uint8Array {
  if (isIP(ip) === 4) return Uint8Array.from(ip.split(".").map(Number));
  const [head = "", tail = ""] = ip.includes("::") ? ip.split("::") : [ip, ""];
  const h = head === "" ? [] : head.split(":");
  const t = tail === "" ? [] : tail.split(":");
  const groups = [...h, ...new Array(8 - h.length - t.length).fill("0"), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  });
  return out;
}

function extension(id: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(oid(id), tlv(0x01, Uint8Array.of(0xff)), octets(value)) : seq(oid(id), octets(value));
}

/** keyUsage as a DER BIT STRING: named bits, trailing zero bits dropped (X.690 §11.2.2). */
function keyUsageBits(names: readonly KeyUsageName[]): Uint8Array {
  let mask = 0;
  for (const n of names) mask |= 1 << KEY_USAGE_BITS.indexOf(n);
  const highest = 31 - Math.clz32(mask); // bit index of the last named bit set
  if (highest < 0) return bits(new Uint8Array(0)); // no bit: invalid keyUsage, for tests of the refusal
  const length = highest < 8 ? 1 : 2;
  const content = new Uint8Array(length);
  for (let bit = 0; bit <= highest; bit++) if (mask & (1 << bit)) content[bit >> 3] = (content[bit >> 3] as number) | (0x80 >> (bit & 7));
  return bits(content, length * 8 - 1 - highest);
}

function integer(value: number): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; ; v = Math.floor(v / 256)) {
    bytes.unshift(v & 0xff);
    if (v < 256) break;
  }
  if ((bytes[0] as number) & 0x80) bytes.unshift(0);
  return tlv(0x02, Uint8Array.from(bytes));
}

function keyId(publicKey: KeyObject): Uint8Array {
  return new Uint8Array(
    createHash("sha1")
      .update(publicKey.export({ type: "spki", format: "der" }))
      .digest(),
  );
}

function signatureAlgorithm(key: KeyObject): Uint8Array {
  return key.asymmetricKeyType === "ed25519" ? seq(oid("1.3.101.112")) : seq(oid("1.2.840.10045.4.3.2"));
}

/** Generates a certificate as described by `options` (self-signed unless `issuer` is given). */
export function generateCertificate(options: CertificateOptions = {}): GeneratedCertificate {
  const { privateKey, publicKey } =
    options.keyType === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("ec", { namedCurve: "P-256" });
  const commonName = options.commonName ?? "localhost";
  const sans = options.subjectAltNames ?? ["localhost", "127.0.0.1", "::1"];
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  const notAfter = options.notAfter ?? new Date(Date.now() + 365 * DAY);
  const issuer = options.issuer;
  const signingKey = issuer?.privateKey ?? privateKey;
  const isCa = options.isCa === true;
  // A positive INTEGER in minimal DER: a first byte of 0x40..0x7f needs no sign byte and is never
  // a redundant leading zero (OpenSSL refuses a certificate whose serial is 00 followed by < 0x80).
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x3f) | 0x40;
  const exts: Uint8Array[] = [];
  if (options.omitBasicConstraints !== true) {
    const pathLength = isCa && options.pathLength !== undefined ? [integer(options.pathLength)] : [];
    exts.push(extension("2.5.29.19", true, isCa ? seq(tlv(0x01, Uint8Array.of(0xff)), ...pathLength) : seq()));
  }
  const keyUsage =
    options.keyUsage === undefined
      ? isCa
        ? (["digitalSignature", "keyCertSign", "cRLSign"] as const)
        : (["digitalSignature"] as const)
      : options.keyUsage;
  if (keyUsage !== null) exts.push(extension("2.5.29.15", true, keyUsageBits(keyUsage)));
  exts.push(extension("2.5.29.14", false, octets(keyId(publicKey))));
  if (issuer !== undefined) exts.push(extension("2.5.29.35", false, seq(tlv(0x80, keyId(issuer.publicKey)))));
  if (sans.length > 0)
    exts.push(
      extension("2.5.29.17", false, seq(...sans.map((s) => (isIP(s) !== 0 ? tlv(0x87, ipBytes(s)) : tlv(0x82, Buffer.from(s, "ascii")))))),
    );
  const purposes =
    options.extendedKeyUsage === undefined ? (isCa ? null : (["serverAuth", "clientAuth"] as const)) : options.extendedKeyUsage;
  if (purposes !== null) exts.push(extension("2.5.29.37", false, seq(...purposes.map((p) => oid(EKU_OIDS[p])))));
  for (const extra of options.extraExtensions ?? []) exts.push(extension(extra.oid, extra.critical, extra.value));
  const algorithm = signatureAlgorithm(signingKey);
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Uint8Array.of(2))),
    tlv(0x02, serial),
    algorithm,
    name(issuer?.commonName ?? commonName),
    seq(time(notBefore), time(notAfter)),
    name(commonName),
    new Uint8Array(publicKey.export({ type: "spki", format: "der" })),
    tlv(0xa3, seq(...exts)),
  );
  const signature =
    signingKey.asymmetricKeyType === "ed25519" ? sign(null, tbs, signingKey) : sign("sha256", tbs, { key: signingKey, dsaEncoding: "der" });
  const der = seq(tbs, algorithm, bits(new Uint8Array(signature)));
  return {
    certificatePem: toPem(der),
    certificateDer: der,
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    privateKey,
    publicKey,
    commonName,
  };
}

/** A self-signed P-256 certificate for localhost, 127.0.0.1 and ::1, valid for a year. */
export function generateSelfSignedCertificate(options: Omit<CertificateOptions, "issuer" | "isCa"> = {}): GeneratedCertificate {
  return generateCertificate(options);
}
