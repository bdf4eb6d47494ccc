/**
 * The parts of an X.509 certificate (RFC 5280 §4.1) that path validation
 * decides on and node:crypto does not expose: the raw issuer and subject
 * names (for name chaining), and every extension with its critical flag,
 * with basicConstraints, keyUsage and extendedKeyUsage decoded.
 *
 * @example
 * ```ts
 * import { certificateFields } from "./certificate-fields.js";
 * declare const der: Uint8Array;
 * const fields = certificateFields(der);
 * if (fields.basicConstraints?.ca !== true) console.log("not a CA");
 * ```
 * @module
 */
import { TlsCertificateError } from "../../errors.js";
import {
  DerReader,
  readBoolean,
  readCount,
  readNamedBits,
  readOid,
  TAG_BIT_STRING,
  TAG_BOOLEAN,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
} from "./der.js";

/** Extension identifiers (RFC 5280 §4.2). */
export const OID = {
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extendedKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  certificatePolicies: "2.5.29.32",
  nameConstraints: "2.5.29.30",
  anyExtendedKeyUsage: "2.5.29.37.0",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

/** KeyUsage named bits (RFC 5280 §4.2.1.3) as masks of {@link CertificateFields.keyUsage}. */
export const KeyUsageBit = {
  digitalSignature: 1 << 0,
  nonRepudiation: 1 << 1,
  keyEncipherment: 1 << 2,
  dataEncipherment: 1 << 3,
  keyAgreement: 1 << 4,
  keyCertSign: 1 << 5,
  cRLSign: 1 << 6,
  encipherOnly: 1 << 7,
  decipherOnly: 1 << 8,
} as const;

/** One extension as it appears in the certificate. */
export interface CertificateExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** The extnValue OCTET STRING's content (the extension's own DER). */
  readonly value: Uint8Array;
}

export interface CertificateFields {
  /** 1, 2 or 3 (the DER value plus one). */
  readonly version: number;
  /** DER of the issuer and subject Names, compared byte for byte when chaining. */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly extensions: readonly CertificateExtension[];
  /** Absent when the certificate has no basicConstraints extension. */
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLength?: number | undefined } | undefined;
  /** KeyUsageBit mask; absent when there is no keyUsage extension (every usage allowed). */
  readonly keyUsage?: number | undefined;
  /** Dotted OIDs; absent when there is no extendedKeyUsage extension (every purpose allowed). */
  readonly extendedKeyUsage?: readonly string[] | undefined;
}

function malformed(message: string, cause?: unknown): TlsCertificateError {
  return new TlsCertificateError("malformed", message, cause === undefined ? undefined : { cause });
}

function readExtension(bytes: Uint8Array, reader: DerReader): CertificateExtension {
  const inner = DerReader.inside(bytes, reader.element(TAG_SEQUENCE));
  const oid = readOid(bytes, inner.element(TAG_OID));
  const flag = inner.optional(TAG_BOOLEAN);
  const critical = flag === undefined ? false : readBoolean(bytes, flag);
  const value = inner.element(TAG_OCTET_STRING);
  inner.finish(`extension ${oid}`);
  return { oid, critical, value: bytes.subarray(value.contentStart, value.end) };
}

function decodeBasicConstraints(value: Uint8Array): { ca: boolean; pathLength?: number | undefined } {
  const outer = new DerReader(value);
  const inner = DerReader.inside(value, outer.element(TAG_SEQUENCE));
  outer.finish("basicConstraints");
  const flag = inner.optional(TAG_BOOLEAN);
  const ca = flag === undefined ? false : readBoolean(value, flag);
  const length = inner.optional(TAG_INTEGER);
  inner.finish("basicConstraints");
  return { ca, pathLength: length === undefined ? undefined : readCount(value, length) };
}

function decodeKeyUsage(value: Uint8Array): number {
  const reader = new DerReader(value);
  const mask = readNamedBits(value, reader.element(TAG_BIT_STRING));
  reader.finish("keyUsage");
  if (mask === 0) throw malformed("keyUsage extension with no bit set (RFC 5280 §4.2.1.3)");
  return mask;
}

function decodeExtendedKeyUsage(value: Uint8Array): string[] {
  const outer = new DerReader(value);
  const inner = DerReader.inside(value, outer.element(TAG_SEQUENCE));
  outer.finish("extendedKeyUsage");
  const purposes: string[] = [];
  while (!inner.done) purposes.push(readOid(value, inner.element(TAG_OID)));
  if (purposes.length === 0) throw malformed("empty extendedKeyUsage (RFC 5280 §4.2.1.12 requires at least one purpose)");
  return purposes;
}

/** Reads `der` (one Certificate). `malformed` TlsCertificateError on any DER or structure error. */
export function certificateFields(der: Uint8Array): CertificateFields {
  const top = new DerReader(der);
  const certificate = DerReader.inside(der, top.element(TAG_SEQUENCE));
  top.finish("the certificate");
  const tbs = DerReader.inside(der, certificate.element(TAG_SEQUENCE));
  const explicitVersion = tbs.optional(0xa0);
  let version = 1;
  if (explicitVersion !== undefined) {
    const inner = DerReader.inside(der, explicitVersion);
    version = readCount(der, inner.element(TAG_INTEGER)) + 1;
    inner.finish("version");
    if (version > 3) throw malformed(`unknown certificate version ${version}`);
  }
  tbs.element(TAG_INTEGER); // serialNumber
  tbs.element(TAG_SEQUENCE); // signature AlgorithmIdentifier
  const issuer = tbs.element(TAG_SEQUENCE);
  tbs.element(TAG_SEQUENCE); // validity: node:crypto reads the times
  const subject = tbs.element(TAG_SEQUENCE);
  tbs.element(TAG_SEQUENCE); // subjectPublicKeyInfo
  tbs.optional(0x81); // issuerUniqueID
  tbs.optional(0x82); // subjectUniqueID
  const extensionsField = tbs.optional(0xa3);
  tbs.finish("TBSCertificate");
  const extensions: CertificateExtension[] = [];
  if (extensionsField !== undefined) {
    if (version !== 3) throw malformed(`a version ${version} certificate carries extensions`);
    const wrapper = DerReader.inside(der, extensionsField);
    const list = DerReader.inside(der, wrapper.element(TAG_SEQUENCE));
    wrapper.finish("extensions");
    while (!list.done) extensions.push(readExtension(der, list));
    if (extensions.length === 0) throw malformed("empty extensions field");
  }
  const seen = new Set<string>();
  for (const extension of extensions) {
    if (seen.has(extension.oid)) throw malformed(`extension ${extension.oid} appears twice (RFC 5280 §4.2)`);
    seen.add(extension.oid);
  }
  const find = (oid: string): Uint8Array | undefined => extensions.find((e) => e.oid === oid)?.value;
  const basicConstraints = find(OID.basicConstraints);
  const keyUsage = find(OID.keyUsage);
  const extendedKeyUsage = find(OID.extendedKeyUsage);
  return {
    version,
    issuer: der.subarray(issuer.start, issuer.end),
    subject: der.subarray(subject.start, subject.end),
    extensions,
    basicConstraints: basicConstraints === undefined ? undefined : decodeBasicConstraints(basicConstraints),
    keyUsage: keyUsage === undefined ? undefined : decodeKeyUsage(keyUsage),
    extendedKeyUsage: extendedKeyUsage === undefined ? undefined : decodeExtendedKeyUsage(extendedKeyUsage),
  };
}
