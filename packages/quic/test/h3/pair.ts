/**
 * Two `Http3Connection`s joined in memory, with no QUIC underneath: what one
 * asks to write on its critical streams, reset or stop reaches the other as
 * the QUIC layer would deliver it. Deliveries are queued, so a test can hold
 * one side's encoder stream back (to block sections), fragment bytes, or
 * inject its own.
 */
import { Http3Connection, type Http3ConnectionOptions } from "../../src/h3/connection.js";
import type { CriticalStream, Http3Event } from "../../src/h3/events.js";

export type Side = "client" | "server";

interface Delivery {
  readonly to: Side;
  readonly kind: "data" | "reset" | "stop";
  readonly streamId: number;
  readonly bytes: Uint8Array;
  readonly fin: boolean;
  readonly code: number;
  /** Which critical stream the bytes belong to, when they do. */
  readonly critical?: CriticalStream;
}

export class Pair {
  readonly client: Http3Connection;
  readonly server: Http3Connection;
  readonly events: Record<Side, Http3Event[]> = { client: [], server: [] };
  /** CONNECTION_CLOSE each side asked for. */
  readonly closes: Record<Side, { errorCode: number; reason: string }[]> = { client: [], server: [] };
  /** RESET_STREAM and STOP_SENDING each side asked for. */
  readonly resets: Record<Side, { type: "reset" | "stop-sending"; streamId: number; errorCode: number }[]> = { client: [], server: [] };
  /** Deliveries held back: the encoder stream of the side named here. */
  holdEncoderOf: Side | undefined;
  readonly held: Delivery[] = [];
  readonly #queue: Delivery[] = [];
  readonly #critical: Record<Side, Map<CriticalStream, number>> = { client: new Map(), server: new Map() };
  readonly #nextUni: Record<Side, number> = { client: 2, server: 3 };

  constructor(client: Partial<Http3ConnectionOptions> = {}, server: Partial<Http3ConnectionOptions> = {}) {
    this.client = new Http3Connection({ ...client, role: "client" });
    this.server = new Http3Connection({ ...server, role: "server" });
  }

  conn(side: Side): Http3Connection {
    return side === "client" ? this.client : this.server;
  }

  /** The QUIC stream id of `side`'s critical stream. */
  criticalId(side: Side, kind: CriticalStream): number | undefined {
    return this.#critical[side].get(kind);
  }

  /** Bytes `from` writes on a request stream (or any stream), delivered to the other side in `pieces` of this size. */
  send(from: Side, streamId: number, bytes: Uint8Array, fin: boolean, pieces = bytes.length): void {
    const to = other(from);
    if (bytes.length === 0) this.#queue.push({ to, kind: "data", streamId, bytes, fin, code: 0 });
    for (let at = 0; at < bytes.length; at += Math.max(1, pieces)) {
      const end = Math.min(bytes.length, at + Math.max(1, pieces));
      this.#queue.push({ to, kind: "data", streamId, bytes: bytes.slice(at, end), fin: fin && end === bytes.length, code: 0 });
    }
  }

  /** `from` resets its sending side of `streamId`. */
  reset(from: Side, streamId: number, code: number): void {
    this.#queue.push({ to: other(from), kind: "reset", streamId, bytes: new Uint8Array(0), fin: false, code });
  }

  /** Moves everything both sides asked for to the other side, until nothing moves. */
  pump(): void {
    for (let rounds = 0; rounds < 10_000; rounds++) {
      this.#collect("client");
      this.#collect("server");
      const next = this.#queue.shift();
      if (next === undefined) return;
      this.#deliver(next);
    }
    throw new Error("the pair did not settle");
  }

  /** Releases the held encoder-stream bytes (in order) and pumps. */
  release(): void {
    this.holdEncoderOf = undefined;
    for (const d of this.held.splice(0)) this.#queue.push(d);
    this.pump();
  }

  /** Events of `side` so far, taken. */
  take(side: Side): Http3Event[] {
    return this.events[side].splice(0);
  }

  #deliver(d: Delivery): void {
    const conn = this.conn(d.to);
    if (d.kind === "data") conn.handleStreamData(d.streamId, d.bytes, d.fin);
    else if (d.kind === "reset") conn.handleStreamReset(d.streamId, d.code);
    else conn.handleStopSending(d.streamId, d.code);
  }

  #collect(side: Side): void {
    const conn = this.conn(side);
    for (let t = conn.pollTransmit(); t !== undefined; t = conn.pollTransmit()) {
      const to = other(side);
      switch (t.type) {
        case "write": {
          let id = this.#critical[side].get(t.stream);
          if (id === undefined) {
            id = this.#nextUni[side];
            this.#nextUni[side] += 4;
            this.#critical[side].set(t.stream, id);
            conn.bindCriticalStream(t.stream, id);
          }
          const d: Delivery = { to, kind: "data", streamId: id, bytes: t.bytes, fin: false, code: 0, critical: t.stream };
          if (t.stream === "encoder" && this.holdEncoderOf === side) this.held.push(d);
          else this.#queue.push(d);
          break;
        }
        case "reset":
          this.resets[side].push({ type: "reset", streamId: t.streamId, errorCode: t.errorCode });
          this.#queue.push({ to, kind: "reset", streamId: t.streamId, bytes: new Uint8Array(0), fin: false, code: t.errorCode });
          break;
        case "stop-sending":
          this.resets[side].push({ type: "stop-sending", streamId: t.streamId, errorCode: t.errorCode });
          this.#queue.push({ to, kind: "stop", streamId: t.streamId, bytes: new Uint8Array(0), fin: false, code: t.errorCode });
          break;
        case "close":
          this.closes[side].push({ errorCode: t.errorCode, reason: t.reason });
          break;
      }
    }
    for (let e = conn.pollEvent(); e !== undefined; e = conn.pollEvent()) {
      // A data event's bytes are a view into the input: keep a copy.
      this.events[side].push(e.type === "data" ? { ...e, bytes: e.bytes.slice() } : e);
    }
  }
}

function other(side: Side): Side {
  return side === "client" ? "server" : "client";
}

/** A GET request's fields. */
export function getRequest(path = "/", extra: { name: string; value: string }[] = []): { name: string; value: string }[] {
  return [
    { name: ":method", value: "GET" },
    { name: ":scheme", value: "https" },
    { name: ":authority", value: "example.com" },
    { name: ":path", value: path },
    ...extra,
  ];
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
