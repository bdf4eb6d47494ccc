/**
 * QPACK against an independent implementation: nghttp3, inside ngtcp2's
 * `gtlsclient` (Debian `ngtcp2-client`, which `.ci/run` installs for the
 * transport interop tests). Our QUIC server plays a minimal HTTP/3 server,
 * written here only as far as the test needs (control stream with SETTINGS,
 * QPACK encoder and decoder streams, HEADERS and DATA frames):
 *
 * - nghttp3's requests are decoded by our QpackDecoder, fed its encoder
 *   stream as it arrives;
 * - our responses are encoded by our QpackEncoder with the dynamic table
 *   nghttp3's SETTINGS allow, and nghttp3 must decode them: its log shows the
 *   response headers, and its decoder stream acknowledges our sections
 *   (Section Acknowledgments and Insert Count Increments reach our encoder).
 */
import { afterEach, describe, expect, it } from "vitest";
import { QpackDecoder } from "../../../src/h3/qpack/decoder.js";
import { QpackEncoder } from "../../../src/h3/qpack/encoder.js";
import type { Field } from "../../../src/h3/qpack/field.js";
import type { QuicConnection, QuicStream } from "../../../src/index.js";
import { QuicVersion } from "../../../src/proto/index.js";
import { decodeVarint, varintLength, writeVarint } from "../../../src/proto/wire/varint.js";
import { bindInteropServer, type Peer, requireBinary, startPeerProcess, within } from "../../interop/support.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function startPeer(binary: string, args: readonly string[]): Peer {
  return startPeerProcess(binary, args, (cleanup) => cleanups.push(cleanup));
}

/** An HTTP/3 frame (RFC 9114 §7.1): type, length, payload. */
function frame(type: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(payload.length) + payload.length);
  let at = writeVarint(out, 0, type);
  at = writeVarint(out, at, payload.length);
  out.set(payload, at);
  return out;
}

function varints(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.reduce((n, v) => n + varintLength(v), 0));
  let at = 0;
  for (const v of values) at = writeVarint(out, at, v);
  return out;
}

/** Reads chunks until the stream ends, calling `onChunk` with each. */
async function pump(stream: QuicStream, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  const buf = new Uint8Array(16384);
  for (;;) {
    const n = await stream.read(buf);
    if (n === null) return;
    onChunk(buf.slice(0, n));
  }
}

/** Splits a buffer of HTTP/3 frames; undefined while the last one is incomplete. */
function frames(bytes: Uint8Array): { type: number; payload: Uint8Array }[] | undefined {
  const out: { type: number; payload: Uint8Array }[] = [];
  let at = 0;
  while (at < bytes.length) {
    const type = decodeVarint(bytes, at);
    if (type < 0) return undefined;
    at += varintLength(type);
    const length = decodeVarint(bytes, at);
    if (length < 0) return undefined;
    at += varintLength(length);
    if (at + length > bytes.length) return undefined;
    out.push({ type, payload: bytes.slice(at, at + length) });
    at += length;
  }
  return out;
}

interface Exchange {
  requests: Field[][];
  /** Requests that arrived before the inserts they reference. */
  blocked: number;
  encoder: QpackEncoder;
  decoder: QpackDecoder;
  errors: unknown[];
}

/** Serves one connection as a minimal HTTP/3 server whose header compression is ours. */
function serve(conn: QuicConnection, response: (request: Field[]) => Field[], exchange: Exchange): void {
  const { encoder, decoder, errors } = exchange;
  const fail = (error: unknown) => errors.push(error);
  /** Request streams whose section waits for nghttp3's encoder stream. */
  const unblocked = new Map<number, (fields: Field[]) => void>();
  let settings: (() => void) | undefined;
  const settingsArrived = new Promise<void>((resolve) => {
    settings = resolve;
  });
  const uni = (async () => {
    const control = await conn.openUnidirectionalStream();
    // Control stream: type 0x00, SETTINGS with QPACK_MAX_TABLE_CAPACITY 4096 (0x01) and QPACK_BLOCKED_STREAMS 16 (0x07).
    await control.write(new Uint8Array([0x00, ...frame(0x04, varints(0x01, 4096, 0x07, 16))]));
    const enc = await conn.openUnidirectionalStream();
    await enc.write(new Uint8Array([0x02]));
    const dec = await conn.openUnidirectionalStream();
    await dec.write(new Uint8Array([0x03]));
    return { enc, dec };
  })();
  void (async () => {
    const { enc, dec } = await uni;
    for await (const stream of conn) {
      if (stream.id % 4 === 0) {
        // A request stream: HEADERS (and no body for GET), then our response.
        let bytes = new Uint8Array(0);
        await pump(stream, (chunk) => {
          bytes = new Uint8Array([...bytes, ...chunk]);
        });
        const headers = frames(bytes)!.find((f) => f.type === 0x01)!;
        const result = decoder.decodeFieldSection(stream.id, headers.payload);
        if (result.status === "blocked") exchange.blocked++;
        const fields =
          result.status === "decoded" ? result.fields : await new Promise<Field[]>((resolve) => unblocked.set(stream.id, resolve));
        exchange.requests.push(fields);
        await dec.write(decoder.takeDecoderStreamBytes());
        await settingsArrived;
        const section = encoder.encodeFieldSection(stream.id, response(fields));
        const instructions = encoder.takeEncoderStreamBytes();
        if (instructions.length > 0) await enc.write(instructions);
        await stream.write(new Uint8Array([...frame(0x01, section), ...frame(0x00, new TextEncoder().encode("hello from zsync\n"))]));
        stream.end();
        continue;
      }
      let type = -1;
      let control = new Uint8Array(0);
      void pump(stream, (chunk) => {
        let body = chunk;
        if (type < 0) {
          type = chunk[0]!;
          body = chunk.subarray(1);
        }
        if (type === 0x00 && settings !== undefined) {
          // The peer's control stream: its SETTINGS tell our encoder what its decoder allows.
          control = new Uint8Array([...control, ...body]);
          const parsed = frames(control) ?? [];
          const frameSettings = parsed.find((f) => f.type === 0x04);
          if (frameSettings === undefined) return;
          const values = new Map<number, number>();
          for (let at = 0; at < frameSettings.payload.length; ) {
            const id = decodeVarint(frameSettings.payload, at);
            at += varintLength(id);
            const value = decodeVarint(frameSettings.payload, at);
            at += varintLength(value);
            values.set(id, value);
          }
          encoder.applyPeerSettings({ maxTableCapacity: values.get(0x01) ?? 0, blockedStreams: values.get(0x07) ?? 0 });
          settings();
          settings = undefined;
        } else if (type === 0x02) {
          for (const done of decoder.receiveEncoderStream(body)) unblocked.get(done.streamId)!(done.fields!);
        } else if (type === 0x03) {
          encoder.receiveDecoderStream(body);
        }
      }).catch(() => undefined);
    }
  })().catch(fail);
}

describe("QPACK with nghttp3 (ngtcp2 gtlsclient -> our server, ALPN h3)", () => {
  it("decodes nghttp3's requests, and nghttp3 decodes and acknowledges our dynamic-table responses", async () => {
    const gtlsclient = requireBinary("gtlsclient", "ngtcp2-client");
    const server = await bindInteropServer({ alpn: "h3", versions: [QuicVersion.V1] });
    cleanups.push(() => server.close());
    const exchange: Exchange = {
      requests: [],
      blocked: 0,
      encoder: new QpackEncoder({ maxTableCapacity: 4096 }),
      decoder: new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 16 }),
      errors: [],
    };
    let served = 0;
    const response = (request: Field[]): Field[] => [
      { name: ":status", value: "200" },
      { name: "content-type", value: "text/plain" },
      { name: "server", value: "zsync-quic qpack interop" },
      { name: "x-request-path", value: request.find((f) => f.name === ":path")?.value ?? "" },
      { name: "x-served", value: `number ${++served}` },
      { name: "x-repeated", value: "the same value every time, worth indexing" },
    ];
    void (async () => {
      for await (const conn of server) serve(conn, response, exchange);
    })().catch((error: unknown) => exchange.errors.push(error));

    // Not gtlsclientArgs: it exits as soon as its streams close, before its decoder stream acknowledges our
    // sections. The delay lets our SETTINGS arrive first, so that nghttp3 uses the dynamic table for its requests.
    const url = `https://localhost:${server.port}/`;
    const args = ["--initial-rtt=1ms", "--timeout=15s", "--handshake-timeout=10s", "--nstreams=4", "--delay-stream=300ms"];
    const peer = startPeer(gtlsclient, [...args, "127.0.0.1", String(server.port), url]);
    await peer.waitFor("x-served: number 4", 20_000);
    // Its decoder stream acknowledges what it decoded: every insert of ours becomes known received.
    await expect.poll(() => exchange.encoder.knownReceivedCount, { timeout: 10_000 }).toBe(exchange.encoder.insertCount);
    peer.child.kill("SIGINT");
    await within(10_000, peer.exited, () => `gtlsclient exiting; log tail:\n${peer.log().slice(-3000)}`);
    const log = peer.log();
    expect(exchange.errors).toEqual([]);
    // Our decoder read every request nghttp3 encoded.
    expect(exchange.requests).toHaveLength(4);
    for (const request of exchange.requests) {
      expect(request.slice(0, 4).map((f) => `${f.name}: ${f.value}`)).toEqual([
        ":method: GET",
        ":scheme: https",
        `:authority: localhost:${server.port}`,
        ":path: /",
      ]);
    }
    // nghttp3 decoded our responses, dynamic references included, and acknowledged them.
    // Every stream ends with H3_NO_ERROR (256), and the connection with NO_ERROR: no QPACK error (0x200-0x202) anywhere.
    expect(log.match(/HTTP stream \d+ closed with error code 256/g)).toHaveLength(4);
    expect(log).not.toMatch(/closed with error code (?!256)/);
    expect(log.match(/CONNECTION_CLOSE\(0x1[cd]\) error_code=\S+/g)).toEqual(["CONNECTION_CLOSE(0x1c) error_code=NO_ERROR(0x0)"]);
    for (let n = 1; n <= 4; n++) expect(log).toContain(`number ${n}`);
    expect(log).toContain("the same value every time, worth indexing");
    expect(exchange.encoder.insertCount).toBeGreaterThan(0);
    expect(exchange.encoder.blockingStreamCount).toBe(0);
    // nghttp3 used its dynamic table for the requests: our decoder followed its encoder stream.
    expect(exchange.decoder.insertCount).toBeGreaterThan(0);
  }, 30_000);
});
