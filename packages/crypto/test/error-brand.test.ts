import { fileURLToPath } from "node:url";
import { ZsyncError } from "@zsync/runtime";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { assertBrandsAcrossCopies, importTwoCopies, type TwoCopies } from "../../../tools/test-support/error-brands.mjs";
import { AuthenticationError, type EnvelopeFormatError, UnsupportedAlgorithmError } from "../src/index.js";
import { TlsCertificateError, type TlsError, TlsLimitError, type TlsProtocolError } from "../src/tls/index.js";

// Type level (checked by `typecheck`): `code` is a literal in every class, so
// a switch over a union of error classes narrows to the class in each case.
function describeCryptoError(error: AuthenticationError | EnvelopeFormatError | UnsupportedAlgorithmError): string {
  switch (error.code) {
    case "ZSYNC_CRYPTO_AUTH":
      return "auth";
    case "ZSYNC_CRYPTO_FORMAT":
      return "format";
    case "ZSYNC_CRYPTO_UNSUPPORTED":
      return `unsupported ${error.algorithm}`; // only UnsupportedAlgorithmError has `algorithm`
    // @ts-expect-error: not a code of any class in the union
    case "ZSYNC_CRYPTO_STATE":
      return "impossible";
  }
}

function describeTlsError(error: TlsError): string {
  switch (error.code) {
    case "ZSYNC_TLS_CERTIFICATE":
      return error instanceof TlsCertificateError ? error.reason : "certificate";
    default:
      return error.code;
  }
}

function describeTls(error: TlsCertificateError | TlsLimitError | TlsProtocolError): string {
  switch (error.code) {
    case "ZSYNC_TLS_CERTIFICATE":
      return error.reason; // TlsCertificateError
    case "ZSYNC_TLS_LIMIT":
      return error.limit; // TlsLimitError
    case "ZSYNC_TLS_PROTOCOL":
      return error.alertName;
  }
}

describe("literal codes", () => {
  test("a switch on code reaches the narrowed class's fields", () => {
    expect(describeCryptoError(new UnsupportedAlgorithmError("rot13"))).toBe("unsupported rot13");
    expect(describeCryptoError(new AuthenticationError())).toBe("auth");
    expect(describeTls(new TlsCertificateError("expired", "old"))).toBe("expired");
    expect(describeTls(new TlsLimitError("empty-records", 10, "too many"))).toBe("empty-records");
    expect(describeTlsError(new TlsCertificateError("unknown-ca", "who"))).toBe("unknown-ca");
  });
});

// Two installed copies of @zsync/crypto sharing one @zsync/runtime (e.g. a
// dependency pinned its own crypto): the package is compiled as users get it
// from dist/, installed twice under .cache/ (so both resolve this package's
// node_modules), and imported side by side.
type Crypto = typeof import("../src/index.js");
type CryptoTls = typeof import("../src/tls/index.js");

let copies: TwoCopies | undefined;
let a: Crypto;
let b: Crypto;
let aTls: CryptoTls;
let bTls: CryptoTls;

beforeAll(async () => {
  copies = await importTwoCopies(fileURLToPath(new URL("..", import.meta.url)), "@zsync/crypto", ["index.js", "tls/index.js"]);
  [a, aTls] = copies.a as [Crypto, CryptoTls];
  [b, bTls] = copies.b as [Crypto, CryptoTls];
}, 120_000);

afterAll(() => copies?.dispose());

describe("instanceof across two copies of the package", () => {
  test("the copies are distinct modules", () => {
    expect(a.AuthenticationError).not.toBe(b.AuthenticationError);
    expect(aTls.TlsError).not.toBe(bTls.TlsError);
  });

  test("every crypto error class recognises the other copy's instances, both ways, and only its own class", () => {
    const make = (c: Crypto) =>
      [
        [new c.AuthenticationError(), "AuthenticationError"],
        [new c.TruncatedCiphertextError(), "TruncatedCiphertextError"],
        [new c.EnvelopeFormatError("bad magic"), "EnvelopeFormatError"],
        [new c.UnsupportedAlgorithmError("rot13"), "UnsupportedAlgorithmError"],
        [new c.KeyAgreementError("zero"), "KeyAgreementError"],
        [new c.InvalidKeyError("short"), "InvalidKeyError"],
        [new c.InvalidStateError("digested"), "InvalidStateError"],
        [new c.ProviderUnavailableError("node"), "ProviderUnavailableError"],
      ] as const;
    // Both copies share the one @zsync/runtime, so its ZsyncError is every error's base.
    assertBrandsAcrossCopies(a, b, make, () => [ZsyncError]);
  });

  test("TLS errors keep their hierarchy across copies", () => {
    for (const [from, to] of [
      [aTls, bTls],
      [bTls, aTls],
    ] as const) {
      const refused = new from.TlsCertificateError("expired", "old");
      expect(refused instanceof to.TlsCertificateError).toBe(true);
      expect(refused instanceof to.TlsError).toBe(true);
      expect(refused instanceof to.TlsProtocolError).toBe(false);
      const limit = new from.TlsLimitError("empty-records", 10, "too many");
      expect(limit instanceof to.TlsLimitError).toBe(true);
      expect(limit instanceof to.TlsCertificateError).toBe(false);
    }
  });
});
