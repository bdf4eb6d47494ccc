/**
 * What the record layer accepts and refuses, record by record (RFC 9846
 * §5.1-§5.4): content types, the version byte, the length limits of
 * plaintext, ciphertext and inner plaintext, change_cipher_spec's one legal
 * shape, empty records, padding, and the alert each refusal carries. Records
 * are built by hand (record-fixtures.ts) so every malformed shape can be fed.
 */
import { describe, expect, test } from "vitest";
import { AuthenticationError } from "../../src/index.js";
import { TlsBadRecordMacError, TlsProtocolError } from "../../src/tls/index.js";
import { RecordLayer } from "../../src/tls/record/record-layer.js";
import { AlertDescription, ContentType, MAX_CIPHERTEXT, MAX_PLAINTEXT } from "../../src/tls/wire/constants.js";
import {
  drainRecords,
  expectTlsError,
  innerPlaintext,
  otherSecret,
  plainRecord,
  protectedRecord,
  provider,
  reader,
  secret,
  suite,
  thrown,
} from "./record-fixtures.js";

const { unexpected_message, decode_error, record_overflow, bad_record_mac } = AlertDescription;

function plainReader(): RecordLayer {
  return new RecordLayer(provider);
}

describe("plaintext records (no read key yet)", () => {
  test("content types 19 and 24 are refused with unexpected_message, from the header alone", () => {
    for (const type of [0, 19, 24, 255]) {
      const r = plainReader();
      r.push(plainRecord(type, Uint8Array.of(1, 2, 3)).subarray(0, 5));
      expectTlsError(() => r.next(), TlsProtocolError, unexpected_message, new RegExp(`unknown record content type ${type}$`));
    }
  });

  test("alert, handshake and application_data records come out as sent", () => {
    const r = plainReader();
    r.push(plainRecord(ContentType.Alert, Uint8Array.of(1, 0)));
    r.push(plainRecord(ContentType.Handshake, Uint8Array.of(1, 2, 3)));
    r.push(plainRecord(ContentType.ApplicationData, Uint8Array.of(9)));
    expect(drainRecords(r)).toEqual([
      { type: ContentType.Alert, data: Uint8Array.of(1, 0) },
      { type: ContentType.Handshake, data: Uint8Array.of(1, 2, 3) },
      { type: ContentType.ApplicationData, data: Uint8Array.of(9) },
    ]);
  });

  test("a major version other than 3 is a decode_error; any minor version is taken (a ClientHello says 3.1)", () => {
    for (const major of [2, 4]) {
      const r = plainReader();
      r.push(plainRecord(ContentType.Handshake, Uint8Array.of(1), { major }));
      expectTlsError(() => r.next(), TlsProtocolError, decode_error, /: record version is not 3\.x$/);
    }
    const r = plainReader();
    r.push(plainRecord(ContentType.Handshake, Uint8Array.of(1), { minor: 1 }));
    expect(r.next()?.data).toEqual(Uint8Array.of(1));
  });

  test("a length above 2^14+256 is a record_overflow as soon as the header arrives", () => {
    const r = plainReader();
    r.push(plainRecord(ContentType.ApplicationData, new Uint8Array(0), { length: MAX_CIPHERTEXT + 1 }));
    expectTlsError(() => r.next(), TlsProtocolError, record_overflow, new RegExp(`: record of ${MAX_CIPHERTEXT + 1} bytes$`));
  });

  test("a plaintext record of 2^14 bytes is taken, one of 2^14+1 is a record_overflow", () => {
    const r = plainReader();
    r.push(plainRecord(ContentType.Handshake, new Uint8Array(MAX_PLAINTEXT).fill(4)));
    expect(r.next()?.data.length).toBe(MAX_PLAINTEXT);
    for (const length of [MAX_PLAINTEXT + 1, MAX_CIPHERTEXT]) {
      const over = plainReader();
      over.push(plainRecord(ContentType.Handshake, new Uint8Array(length)));
      expectTlsError(() => over.next(), TlsProtocolError, record_overflow, new RegExp(`: plaintext record of ${length} bytes$`));
    }
  });

  test("an empty handshake or alert record is unexpected_message; an empty application_data record is taken", () => {
    for (const type of [ContentType.Handshake, ContentType.Alert]) {
      const r = plainReader();
      r.push(plainRecord(type, new Uint8Array(0)));
      expectTlsError(() => r.next(), TlsProtocolError, unexpected_message, /: empty handshake or alert record$/);
    }
    const r = plainReader();
    r.push(plainRecord(ContentType.ApplicationData, new Uint8Array(0)));
    expect(r.next()).toEqual({ type: ContentType.ApplicationData, data: new Uint8Array(0) });
  });

  test("change_cipher_spec is exactly one byte of value 1, before and after keys", () => {
    for (const keyed of [false, true]) {
      const ok = keyed ? reader() : plainReader();
      ok.push(plainRecord(ContentType.ChangeCipherSpec, Uint8Array.of(1)));
      expect(ok.next()).toEqual({ type: ContentType.ChangeCipherSpec, data: Uint8Array.of(1) });
      for (const body of [Uint8Array.of(2), Uint8Array.of(1, 1), Uint8Array.of(0, 1), new Uint8Array(0)]) {
        const r = keyed ? reader() : plainReader();
        r.push(plainRecord(ContentType.ChangeCipherSpec, body));
        expectTlsError(() => r.next(), TlsProtocolError, unexpected_message, /: malformed change_cipher_spec$/);
      }
    }
  });
});

describe("unprotected records once a read key is set", () => {
  test("by default (no plaintextAlerts argument) an unprotected alert is refused", () => {
    const r = reader();
    r.push(plainRecord(ContentType.Alert, Uint8Array.of(2, 40)));
    expectTlsError(() => r.next(), TlsProtocolError, unexpected_message, /: unprotected record of type 21 after keys were installed$/);
  });

  test("plaintextAlerts admits a two-byte alert only: not a handshake record, nor an alert of another size", () => {
    const alert = reader({ plaintextAlerts: true });
    alert.push(plainRecord(ContentType.Alert, Uint8Array.of(2, 40)));
    expect(alert.next()).toEqual({ type: ContentType.Alert, data: Uint8Array.of(2, 40) });
    for (const [type, body] of [
      [ContentType.Handshake, Uint8Array.of(1, 2)],
      [ContentType.Alert, Uint8Array.of(2, 40, 0)],
      [ContentType.Alert, Uint8Array.of(2)],
    ] as const) {
      const r = reader({ plaintextAlerts: true });
      r.push(plainRecord(type, body));
      expectTlsError(() => r.next(), TlsProtocolError, unexpected_message, new RegExp(`: unprotected record of type ${type} `));
    }
  });
});

describe("protected records", () => {
  test("a record shorter than a tag plus its content type is a bad_record_mac, said so", () => {
    const r = reader();
    r.push(plainRecord(ContentType.ApplicationData, new Uint8Array(16)));
    expectTlsError(() => r.next(), TlsBadRecordMacError, bad_record_mac, /^protected record shorter than its tag$/);
  });

  test("a record that fails authentication is a bad_record_mac whose cause is the AuthenticationError", () => {
    const r = reader();
    r.push(protectedRecord(innerPlaintext(Uint8Array.of(1), ContentType.ApplicationData), 0, otherSecret));
    const error = expectTlsError(() => r.next(), TlsBadRecordMacError, bad_record_mac, /failed authentication/);
    expect(error.cause).toBeInstanceOf(AuthenticationError);
  });

  test("a failure of the cipher other than authentication is not disguised as bad_record_mac", () => {
    const broken = new Error("cipher backend failed");
    // The providers are frozen: derive objects that differ only in `aead` and `open`.
    const failing = Object.create(provider, {
      aead: {
        value: (algorithm: Parameters<typeof provider.aead>[0], key: Uint8Array) =>
          Object.create(provider.aead(algorithm, key), {
            open: {
              value: () => {
                throw broken;
              },
            },
          }),
      },
    }) as typeof provider;
    const r = new RecordLayer(failing);
    r.setReadKey(suite, secret);
    r.push(protectedRecord(innerPlaintext(Uint8Array.of(1), ContentType.ApplicationData), 0));
    expect(thrown(() => r.next())).toBe(broken);
  });

  test("padding is stripped: the content type is the last non-zero byte", () => {
    const r = reader();
    r.push(protectedRecord(innerPlaintext(Uint8Array.of(5, 0, 6, 0), ContentType.Handshake, 40), 0));
    r.push(protectedRecord(innerPlaintext(Uint8Array.of(7), ContentType.ApplicationData, 1), 1));
    expect(drainRecords(r)).toEqual([
      { type: ContentType.Handshake, data: Uint8Array.of(5, 0, 6, 0) },
      { type: ContentType.ApplicationData, data: Uint8Array.of(7) },
    ]);
  });

  test("an inner plaintext of zeros only has no content type: unexpected_message", () => {
    for (const zeros of [1, 2, 30]) {
      const r = reader();
      r.push(protectedRecord(new Uint8Array(zeros), 0));
      expectTlsError(() => r.next(), TlsProtocolError, unexpected_message, /: protected record without a content type$/);
    }
  });

  test("2^14 bytes of content with the most padding that fits open; 2^14+1 bytes are a record_overflow", () => {
    const padding = MAX_CIPHERTEXT - MAX_PLAINTEXT - 1 - 16;
    const full = reader();
    full.push(protectedRecord(innerPlaintext(new Uint8Array(MAX_PLAINTEXT).fill(3), ContentType.ApplicationData, padding), 0));
    expect(full.next()?.data).toEqual(new Uint8Array(MAX_PLAINTEXT).fill(3));
    const over = reader();
    over.push(protectedRecord(innerPlaintext(new Uint8Array(MAX_PLAINTEXT + 1), ContentType.ApplicationData), 0));
    expectTlsError(() => over.next(), TlsProtocolError, record_overflow, /: inner plaintext exceeds 2\^14 bytes$/);
  });

  test("a protected record above 2^14+256 bytes is refused before it is read whole", () => {
    const r = reader();
    r.push(plainRecord(ContentType.ApplicationData, new Uint8Array(0), { length: MAX_CIPHERTEXT + 1 }));
    expectTlsError(() => r.next(), TlsProtocolError, record_overflow, /: record of 16641 bytes$/);
  });

  test("inner content types other than alert, handshake and application_data are unexpected_message", () => {
    for (const type of [ContentType.ChangeCipherSpec, 19, 24, 1]) {
      const r = reader();
      r.push(protectedRecord(innerPlaintext(Uint8Array.of(1), type), 0));
      expectTlsError(() => r.next(), TlsProtocolError, unexpected_message, new RegExp(`: protected record of type ${type}$`));
    }
    for (const type of [ContentType.Alert, ContentType.Handshake, ContentType.ApplicationData]) {
      const r = reader();
      r.push(protectedRecord(innerPlaintext(Uint8Array.of(1, 2), type), 0));
      expect(r.next()).toEqual({ type, data: Uint8Array.of(1, 2) });
    }
  });

  test("an empty protected handshake or alert record is unexpected_message", () => {
    for (const type of [ContentType.Handshake, ContentType.Alert]) {
      const r = reader();
      r.push(protectedRecord(innerPlaintext(new Uint8Array(0), type, 3), 0));
      expectTlsError(() => r.next(), TlsProtocolError, unexpected_message, /: empty handshake or alert record$/);
    }
  });

  test("the empty-record limit says how many it allows", () => {
    const r = reader();
    for (let i = 0; i <= 32; i++) r.push(protectedRecord(innerPlaintext(new Uint8Array(0), ContentType.ApplicationData), i));
    const error = thrown(() => drainRecords(r));
    expect((error as Error).message).toMatch(/: more than 32 empty records in a row /);
  });
});
