/**
 * A loopback TCP man-in-the-middle for the TLS tests. It cuts each direction
 * into whole TLS records (by their 5-byte headers) and forwards them, and
 * lets a test act as an on-path attacker: inject bytes toward either side,
 * end (FIN) either side's stream, rewrite records in flight, or corrupt the
 * next server chunk (tampered-record tests). It acts on the most recently
 * accepted connection.
 */
import { createServer, connect as netConnect, type Server, type Socket } from "node:net";

/** Toward which peer: `"client"` = bytes the client will read, `"server"` = bytes the server will read. */
export type Toward = "client" | "server";

/** Replaces one whole record (header included) by the records to send instead, in order. */
export type RecordRewriter = (record: Uint8Array) => readonly Uint8Array[];

export interface MitmProxy {
  readonly port: number;
  /** Writes `bytes` toward one peer as if the other had sent them. */
  inject(toward: Toward, bytes: Uint8Array): void;
  /** Sends FIN toward one peer; nothing more is forwarded that way. */
  end(toward: Toward): void;
  /** Passes every later record going `toward` through `rewrite` (undefined: forward unchanged). */
  rewrite(toward: Toward, rewrite: RecordRewriter | undefined): void;
  /** Flip the last byte of the next chunk the server sends toward the client. */
  tamperNextServerChunk(): void;
  close(): Promise<void>;
}

/** Kept for the existing callers: the proxy used to only tamper. */
export type TamperProxy = MitmProxy;

interface Leg {
  readonly out: Socket;
  readonly toward: Toward;
  pending: Buffer;
  ended: boolean;
}

/** Whole records at the head of `leg.pending`, rewritten; the rest stays pending. */
function takeRecords(leg: Leg, rewriters: Record<Toward, RecordRewriter | undefined>): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  const b = leg.pending;
  while (b.length - at >= 5) {
    const size = 5 + b.readUInt16BE(at + 3);
    if (b.length - at < size) break;
    const record = b.subarray(at, at + size);
    const rewrite = rewriters[leg.toward];
    if (rewrite === undefined) out.push(record);
    else for (const r of rewrite(record)) out.push(Buffer.from(r));
    at += size;
  }
  leg.pending = b.subarray(at);
  return out;
}

export function startMitmProxy(targetPort: number): Promise<MitmProxy> {
  let tamper = false;
  let legs: { client: Leg; server: Leg } | undefined;
  // Per direction, not per connection: a rewrite may be set before the client connects.
  const rewriters: Record<Toward, RecordRewriter | undefined> = { client: undefined, server: undefined };
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = netConnect({ host: "127.0.0.1", port: targetPort, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    const toClient: Leg = { out: client, toward: "client", pending: Buffer.alloc(0), ended: false };
    const toServer: Leg = { out: upstream, toward: "server", pending: Buffer.alloc(0), ended: false };
    legs = { client: toClient, server: toServer };
    /** Forwards the whole records now pending; false if there were none. */
    const forward = (leg: Leg, chunk: Buffer, corrupt: boolean): boolean => {
      if (leg.ended) return false;
      leg.pending = leg.pending.length === 0 ? chunk : Buffer.concat([leg.pending, chunk]);
      const records = takeRecords(leg, rewriters);
      if (records.length === 0) return false;
      const data = Buffer.concat(records);
      if (corrupt) data[data.length - 1] = (data[data.length - 1] as number) ^ 0x01;
      leg.out.write(data);
      return true;
    };
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("data", (chunk: Buffer) => forward(toServer, chunk, false));
    upstream.on("data", (chunk: Buffer) => {
      if (forward(toClient, chunk, tamper)) tamper = false;
    });
    const endLeg = (leg: Leg): void => {
      if (leg.ended) return;
      leg.ended = true;
      if (leg.pending.length > 0) leg.out.write(leg.pending); // a partial record goes through as it came
      leg.out.end();
    };
    client.on("end", () => endLeg(toServer));
    upstream.on("end", () => endLeg(toClient));
  });
  const leg = (toward: Toward): Leg => {
    if (legs === undefined) throw new Error("no connection through the proxy yet");
    return legs[toward];
  };
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address !== null ? address.port : 0,
        inject: (toward, bytes) => {
          const l = leg(toward);
          if (!l.ended) l.out.write(bytes);
        },
        end: (toward) => {
          const l = leg(toward);
          if (l.ended) return;
          l.ended = true;
          l.out.end();
        },
        rewrite: (toward, rewrite) => {
          rewriters[toward] = rewrite;
        },
        tamperNextServerChunk: () => {
          tamper = true;
        },
        close: () =>
          new Promise((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      });
    }),
  );
}

/** The same proxy under its former name. */
export const startTamperProxy = startMitmProxy;
