/**
 * A hostile UDP relay for tests and benchmarks over real sockets: clients
 * send to the relay's port, the relay forwards to the server from one
 * upstream socket per client (as a NAT does) and sends the server's answers
 * back, impairing each direction by a {@link LinkPolicy}: random loss,
 * scripted drops, duplication, reordering, delay and a rate cap, bit flips,
 * truncation, injected garbage and replays of earlier datagrams, a
 * blackhole, and NAT rebinding (`rebind()`: the server sees the client's
 * traffic come from a new port mid-connection, RFC 9000 §9.3).
 *
 * Why a relay and not only the simulator (test/proto/sim-network.ts): the
 * simulator drives the sans-I/O core with a virtual clock; only real
 * sockets exercise the Node driver (timers, batching, the pool, socket
 * errors) against the same impairments.
 *
 * Determinism: every random choice comes from a PRNG seeded per direction
 * from `seed`, drawn in a fixed order per datagram, so the nth datagram of
 * a direction meets the same fate in every run with that seed. Which bytes
 * the nth datagram holds still depends on the endpoints' timing (real
 * timers), so a seed replays the impairments, not the whole run; tests log
 * it on failure.
 *
 * @module
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { performance } from "node:perf_hooks";

/** The two directions of the relayed path. */
export type RelayDirection = "toServer" | "toClient";

/** Impairments of one direction. Probabilities are in [0, 1], times in ms; everything defaults to off. */
export interface LinkPolicy {
  /** Drop every datagram (a path that went dark). */
  readonly blackhole?: boolean;
  /** Scripted drops: true drops the datagram with this 0-based index (per direction). Checked before `loss`. */
  readonly drop?: (index: number, datagram: Uint8Array) => boolean;
  /** Probability a datagram is lost. */
  readonly loss?: number;
  /** Probability 1-4 random bits of a datagram are flipped (a corrupting link: UDP checksums are not perfect). */
  readonly corrupt?: number;
  /** Probability a datagram is cut to a random shorter length. */
  readonly truncate?: number;
  /** Probability a datagram is held back until `reorderDepth` later ones passed it. */
  readonly reorder?: number;
  /** Datagrams that overtake a held one (default 3). */
  readonly reorderDepth?: number;
  /** Longest a held datagram waits when traffic stops (default 10 ms). */
  readonly reorderMaxHoldMs?: number;
  /** Probability a datagram is delivered twice. */
  readonly duplicate?: number;
  /** Probability an earlier datagram of this direction (one of the last 128) is sent again after this one. */
  readonly replay?: number;
  /** Probability a garbage datagram follows this one: random bytes, some behind a copy of this datagram's header bytes. */
  readonly inject?: number;
  /** Fixed one-way delay added to every datagram. */
  readonly delayMs?: number;
  /** Uniform extra delay in [0, jitterMs) (reorders on its own when larger than the gap between datagrams). */
  readonly jitterMs?: number;
  /** Link rate in bytes per second: serialization delay, and tail drop beyond `queueBytes` waiting. */
  readonly rateBytesPerSecond?: number;
  /** Bytes that may wait for the link at `rateBytesPerSecond` (default 256 KiB). */
  readonly queueBytes?: number;
}

/** What happened to the datagrams of one direction. */
export interface LinkStats {
  /** Datagrams that arrived at the relay. */
  received: number;
  /** Datagrams sent on (impaired copies, duplicates, replays and injections included). */
  sent: number;
  blackholed: number;
  /** Scripted drops (`drop`). */
  dropped: number;
  /** Random drops (`loss`). */
  lost: number;
  /** Tail drops of the rate-limited queue. */
  queueDropped: number;
  corrupted: number;
  truncated: number;
  reordered: number;
  duplicated: number;
  replayed: number;
  injected: number;
}

/** Options of {@link UdpRelay.start}. */
export interface UdpRelayOptions {
  /** Where the server listens. */
  readonly server: { readonly address: string; readonly port: number };
  /** Seed of the relay's PRNGs (default: random; read it back from `relay.seed` to replay). */
  readonly seed?: number;
  readonly toServer?: LinkPolicy;
  readonly toClient?: LinkPolicy;
  /** Address the relay's client-facing socket binds (default 127.0.0.1). */
  readonly host?: string;
}

/** How many earlier datagrams per direction a replay picks from. */
const HISTORY = 128;

/** One client as the relay maps it: its address, and the socket the server sees it behind. */
interface Mapping {
  readonly client: { readonly address: string; readonly port: number };
  upstream: Socket;
}

/** A datagram waiting in a direction's delay queue. */
interface Scheduled {
  readonly at: number;
  readonly bytes: Uint8Array;
  readonly mapping: Mapping;
}

/** A reordered datagram: sent once `countdown` later datagrams passed, or at `deadline`. */
interface Held {
  countdown: number;
  readonly deadline: number;
  readonly bytes: Uint8Array;
  readonly mapping: Mapping;
}

/** mulberry32: small, fast, and good enough to schedule impairments (not cryptographic). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function emptyStats(): LinkStats {
  return {
    received: 0,
    sent: 0,
    blackholed: 0,
    dropped: 0,
    lost: 0,
    queueDropped: 0,
    corrupted: 0,
    truncated: 0,
    reordered: 0,
    duplicated: 0,
    replayed: 0,
    injected: 0,
  };
}

/** One direction of the relay: its policy, PRNG, counters, delay queue and held datagrams. */
class Link {
  policy: LinkPolicy;
  readonly stats = emptyStats();
  readonly #random: () => number;
  /** Jitter draws, on their own stream: they happen at emission, which timers interleave. */
  readonly #jitter: () => number;
  readonly #send: (bytes: Uint8Array, mapping: Mapping) => void;
  readonly #history: Uint8Array[] = [];
  #historyAt = 0;
  readonly #queue: Scheduled[] = [];
  #queueHead = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  /** When the rate-limited link finishes sending what it already took. */
  #linkFreeAt = 0;
  readonly #held: Held[] = [];
  #closed = false;

  constructor(policy: LinkPolicy, seed: number, send: (bytes: Uint8Array, mapping: Mapping) => void) {
    this.policy = policy;
    this.#random = mulberry32(seed);
    this.#jitter = mulberry32(seed ^ 0x7177e2);
    this.#send = send;
  }

  /**
   * One datagram through the policy. The PRNG is drawn the same number of
   * times for every datagram whatever the outcome, so a datagram's fate
   * depends only on the seed and its index.
   */
  handle(datagram: Uint8Array, mapping: Mapping): void {
    const p = this.policy;
    const index = this.stats.received++;
    const r = this.#random;
    const lossDraw = r();
    const corruptDraw = r();
    const truncateDraw = r();
    const reorderDraw = r();
    const duplicateDraw = r();
    const replayDraw = r();
    const injectDraw = r();
    const a = r();
    const b = r();
    const c = r();
    const d = r();
    this.#remember(datagram);
    if (p.blackhole === true) {
      this.stats.blackholed++;
      return;
    }
    if (p.drop?.(index, datagram) === true) {
      this.stats.dropped++;
      return;
    }
    if (lossDraw < (p.loss ?? 0)) {
      this.stats.lost++;
      return;
    }
    let bytes = datagram;
    if (corruptDraw < (p.corrupt ?? 0)) {
      bytes = bytes.slice();
      const flips = 1 + Math.floor(a * 4);
      let x = Math.floor(b * 0x7fffffff) | 1;
      for (let i = 0; i < flips; i++) {
        x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
        const bit = x % (bytes.length * 8);
        bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (1 << (bit & 7));
      }
      this.stats.corrupted++;
    }
    if (truncateDraw < (p.truncate ?? 0) && bytes.length > 1) {
      bytes = bytes.slice(0, 1 + Math.floor(c * (bytes.length - 1)));
      this.stats.truncated++;
    }
    if (reorderDraw < (p.reorder ?? 0)) {
      this.stats.reordered++;
      this.#hold(bytes, mapping);
    } else {
      this.#forward(bytes, mapping);
    }
    if (duplicateDraw < (p.duplicate ?? 0)) {
      this.stats.duplicated++;
      this.#forward(bytes, mapping);
    }
    if (replayDraw < (p.replay ?? 0)) {
      const earlier = this.#history[Math.floor(a * this.#history.length)];
      if (earlier !== undefined) {
        this.stats.replayed++;
        this.#forward(earlier, mapping);
      }
    }
    if (injectDraw < (p.inject ?? 0)) {
      this.stats.injected++;
      this.#forward(this.#garbage(datagram, b, c, d), mapping);
    }
  }

  /** Sends (with the policy's delay and rate) a datagram the caller made, e.g. a forged packet. */
  inject(bytes: Uint8Array, mapping: Mapping): void {
    this.stats.injected++;
    this.#emit(bytes, mapping);
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * A garbage datagram: a third are random bytes; the rest keep a prefix of
   * `after` (its first byte and connection IDs, so they reach the
   * connection and fail its packet authentication) and randomise the rest.
   */
  #garbage(after: Uint8Array, u: number, v: number, kind: number): Uint8Array {
    const length = 1 + Math.floor(u * 1400);
    const out = new Uint8Array(length);
    let x = Math.floor(v * 0x7fffffff) | 1;
    for (let i = 0; i < length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    if (kind >= 1 / 3) out.set(after.subarray(0, Math.min(length, after.length, 1 + Math.floor(v * 40))));
    return out;
  }

  #remember(datagram: Uint8Array): void {
    if (this.#history.length < HISTORY) this.#history.push(datagram);
    else {
      this.#history[this.#historyAt] = datagram;
      this.#historyAt = (this.#historyAt + 1) % HISTORY;
    }
  }

  #hold(bytes: Uint8Array, mapping: Mapping): void {
    this.#held.push({
      countdown: this.policy.reorderDepth ?? 3,
      deadline: performance.now() + (this.policy.reorderMaxHoldMs ?? 10),
      bytes,
      mapping,
    });
    this.#armFor(this.#held[this.#held.length - 1]!.deadline);
  }

  /** Sends a datagram on, then releases held ones it was the last to overtake. */
  #forward(bytes: Uint8Array, mapping: Mapping): void {
    this.#emit(bytes, mapping);
    for (let i = 0; i < this.#held.length; ) {
      const h = this.#held[i]!;
      if (--h.countdown <= 0) {
        this.#held.splice(i, 1);
        this.#emit(h.bytes, h.mapping);
      } else i++;
    }
  }

  /** Applies rate and delay: sends now when neither is set, else queues for the timer. */
  #emit(bytes: Uint8Array, mapping: Mapping): void {
    if (this.#closed) return;
    const p = this.policy;
    const delay = (p.delayMs ?? 0) + (p.jitterMs === undefined ? 0 : this.#jitter() * p.jitterMs);
    const rate = p.rateBytesPerSecond;
    if (delay <= 0 && rate === undefined) {
      this.stats.sent++;
      this.#send(bytes, mapping);
      return;
    }
    const now = performance.now();
    let at = now + delay;
    if (rate !== undefined) {
      const start = Math.max(this.#linkFreeAt, now);
      if ((start - now) * (rate / 1000) > (p.queueBytes ?? 256 * 1024)) {
        this.stats.queueDropped++;
        return;
      }
      this.#linkFreeAt = start + (bytes.length * 1000) / rate;
      at = this.#linkFreeAt + delay;
    }
    // Mostly in order already (constant delay): insert from the back.
    const q = this.#queue;
    let i = q.length;
    while (i > this.#queueHead && (q[i - 1] as Scheduled).at > at) i--;
    q.splice(i, 0, { at, bytes, mapping });
    this.#armFor(at);
  }

  #armFor(at: number): void {
    if (this.#closed || at >= this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(this.#onTimer, Math.max(0, Math.ceil(at - performance.now())));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    for (let i = 0; i < this.#held.length; ) {
      const h = this.#held[i]!;
      if (h.deadline <= now) {
        this.#held.splice(i, 1);
        this.#emit(h.bytes, h.mapping); // still takes the link's delay
      } else i++;
    }
    const q = this.#queue;
    // setTimeout may fire up to a millisecond early relative to performance.now(): release what is due within it.
    while (this.#queueHead < q.length && (q[this.#queueHead] as Scheduled).at <= now + 1) {
      const s = q[this.#queueHead++] as Scheduled;
      this.stats.sent++;
      this.#send(s.bytes, s.mapping);
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > q.length) {
      q.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    let next = this.#queueHead < q.length ? (q[this.#queueHead] as Scheduled).at : Number.POSITIVE_INFINITY;
    for (const h of this.#held) next = Math.min(next, h.deadline);
    if (next !== Number.POSITIVE_INFINITY) this.#armFor(next);
  };
}

/** The relay; see the module comment. */
export class UdpRelay {
  /** The seed every impairment derives from (log it when a test fails). */
  readonly seed: number;
  readonly #front: Socket;
  readonly #server: { readonly address: string; readonly port: number };
  readonly #mappings = new Map<string, Mapping>();
  readonly #links: Record<RelayDirection, Link>;
  #closed = false;
  /** NAT rebindings done so far. */
  rebinds = 0;

  /** Binds the client-facing socket and starts relaying to `options.server`. */
  static async start(options: UdpRelayOptions): Promise<UdpRelay> {
    const front = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      front.once("error", reject);
      front.bind(0, options.host ?? "127.0.0.1", () => {
        front.off("error", reject);
        resolve();
      });
    });
    return new UdpRelay(front, options);
  }

  private constructor(front: Socket, options: UdpRelayOptions) {
    this.seed = (options.seed ?? Math.floor(Math.random() * 0x7fffffff)) >>> 0;
    this.#front = front;
    this.#server = options.server;
    this.#links = {
      toServer: new Link(options.toServer ?? {}, this.seed ^ 0x5eed0001, (bytes, m) =>
        m.upstream.send(bytes, this.#server.port, this.#server.address),
      ),
      toClient: new Link(options.toClient ?? {}, this.seed ^ 0x5eed0002, (bytes, m) =>
        this.#front.send(bytes, m.client.port, m.client.address),
      ),
    };
    setBuffers(front);
    // A send to a port nobody listens on any more comes back as an error on a later call: the path just loses it.
    front.on("error", () => undefined);
    front.on("message", (data: Buffer, rinfo: RemoteInfo) => {
      if (this.#closed) return;
      this.#links.toServer.handle(data, this.#mapping(rinfo));
    });
  }

  /** The port clients connect to. */
  get port(): number {
    return this.#front.address().port;
  }

  /** The relay's client-facing address. */
  get address(): { readonly address: string; readonly port: number } {
    return this.#front.address();
  }

  /** Counters of one direction. */
  stats(direction: RelayDirection): Readonly<LinkStats> {
    return this.#links[direction].stats;
  }

  /** The policy of one direction now. */
  policy(direction: RelayDirection): LinkPolicy {
    return this.#links[direction].policy;
  }

  /** Replaces the policy of one or both directions (datagrams already queued keep their schedule). */
  setPolicy(direction: RelayDirection | "both", policy: LinkPolicy): void {
    if (direction !== "toClient") this.#links.toServer.policy = policy;
    if (direction !== "toServer") this.#links.toClient.policy = policy;
  }

  /**
   * Sends a datagram the caller made (a forged packet) in one direction,
   * as if the path carried it: towards the server from the client's
   * current mapping, or towards the client from the relay's address (where
   * the client believes the server is). The direction's delay applies.
   */
  inject(direction: RelayDirection, bytes: Uint8Array): void {
    const mapping = [...this.#mappings.values()].at(-1);
    if (mapping === undefined) throw new Error("no client has sent anything through the relay yet");
    this.#links[direction].inject(bytes, mapping);
  }

  /**
   * NAT rebinding: every client's traffic leaves from a new upstream port
   * from now on, and the old port is closed (what the server sends there is
   * lost, as behind a NAT whose mapping expired).
   */
  async rebind(): Promise<void> {
    for (const mapping of this.#mappings.values()) {
      const old = mapping.upstream;
      mapping.upstream = await this.#upstream(mapping);
      old.close();
    }
    this.rebinds++;
  }

  /** The port the server currently sees the (last) client's traffic come from. */
  get upstreamPort(): number | undefined {
    const mapping = [...this.#mappings.values()].at(-1);
    return mapping?.upstream.address().port;
  }

  /** Stops relaying and closes every socket. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#links.toServer.close();
    this.#links.toClient.close();
    const sockets = [this.#front, ...[...this.#mappings.values()].map((m) => m.upstream)];
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  #mapping(rinfo: RemoteInfo): Mapping {
    const key = `${rinfo.address}:${rinfo.port}`;
    let mapping = this.#mappings.get(key);
    if (mapping === undefined) {
      const made: Mapping = { client: { address: rinfo.address, port: rinfo.port }, upstream: createSocket("udp4") };
      this.#wire(made, made.upstream);
      // Sends issued while the bind is in progress are queued by node:dgram.
      made.upstream.bind(0, "127.0.0.1");
      this.#mappings.set(key, made);
      mapping = made;
    }
    return mapping;
  }

  async #upstream(mapping: Mapping): Promise<Socket> {
    const socket = createSocket("udp4");
    this.#wire(mapping, socket);
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    return socket;
  }

  #wire(mapping: Mapping, socket: Socket): void {
    socket.on("error", () => undefined);
    socket.on("listening", () => setBuffers(socket));
    socket.on("message", (data: Buffer) => {
      // Only the current upstream socket relays: a closed NAT mapping forwards nothing.
      if (this.#closed || mapping.upstream !== socket) return;
      this.#links.toClient.handle(data, mapping);
    });
  }
}

/** Large kernel buffers, so the relay itself does not add losses under a burst (best effort). */
function setBuffers(socket: Socket): void {
  try {
    socket.setRecvBufferSize(4 * 1024 * 1024);
    socket.setSendBufferSize(4 * 1024 * 1024);
  } catch {
    // capped by the OS (net.core.rmem_max): fine, the endpoints recover losses
  }
}
