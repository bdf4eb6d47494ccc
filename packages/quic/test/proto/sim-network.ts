/**
 * A simulated network for the sans-I/O QUIC core: hosts exchange datagrams
 * over links with a virtual clock and a seeded PRNG, so every run with the
 * same seed replays exactly (a failing fast-check seed is a reproducible
 * bug report, not a flake).
 *
 * Links impair traffic the way real paths do (RFC 9002's recovery is only
 * exercised when they do): one-way delay, jitter, random loss, reordering
 * (an extra delay for a fraction of datagrams), duplication, a bandwidth cap
 * with a bounded FIFO queue (serialization delay, tail drop) and a scripted
 * drop list ("drop the 3rd datagram the client sends").
 *
 * `run(until)` is the driver loop every real driver implements with sockets
 * and timers: after every step it drains `pollTransmit` of every host, then
 * either delivers the earliest in-flight datagram or fires the earliest host
 * deadline (`pollTimeout`/`handleTimeout`), whichever comes first (a delivery
 * wins a tie: a datagram that arrives exactly at a deadline is processed
 * before it fires, which is what a socket read before a timer does). A step
 * cap turns a livelock into a failing test instead of a hang.
 */

/** Where a datagram comes from or goes to: the shape of Node's `dgram` rinfo, so drivers pass it through. */
export interface SimAddress {
  readonly address: string;
  readonly port: number;
}

/** What the network drives: the quinn-style poll contract, with a destination per outgoing datagram. */
export interface SimHost {
  readonly address: SimAddress;
  /** `local`: the host's own socket address the datagram reached, when it is not `address` (see `pollTransmit`'s `from`). */
  handleDatagram(now: number, datagram: Uint8Array, from: SimAddress, local?: SimAddress): void;
  handleTimeout(now: number): void;
  /**
   * Writes one datagram into `buffer`; returns its length and destination, or undefined when idle. `from`: a
   * second socket of the host (a client migrating, RFC 9000 §9): the network then routes that address to the
   * host too, and delivers what arrives there with `local` set.
   */
  pollTransmit(
    now: number,
    buffer: Uint8Array,
  ): { readonly length: number; readonly to: SimAddress; readonly from?: SimAddress | undefined } | undefined;
  /** The next absolute deadline (ms on the virtual clock), or undefined. */
  pollTimeout(): number | undefined;
}

/** Impairments of one direction of a path. All times in ms, rates in [0, 1]. */
export interface LinkConfig {
  /** Fixed one-way propagation delay (default 10). */
  readonly delay?: number;
  /** Uniform extra delay in [0, jitter) per datagram (default 0); may reorder on its own. */
  readonly jitter?: number;
  /** Probability a datagram is lost (default 0). */
  readonly loss?: number;
  /** Probability a datagram is held back by `reorderDelay` (default 0). */
  readonly reorder?: number;
  /** Extra delay of a reordered datagram (default 2 × delay + 1). */
  readonly reorderDelay?: number;
  /** Probability a datagram is delivered twice (default 0); the copy takes its own delay. */
  readonly duplicate?: number;
  /** Bandwidth cap in bytes per ms (1000 = 1 MB/s); undefined = unlimited. */
  readonly bandwidth?: number;
  /** Queue in bytes in front of the bandwidth cap; datagrams beyond it are tail-dropped (default 64 KiB). */
  readonly queueBytes?: number;
  /** 1-based indices (per sender on this link) of datagrams to drop, e.g. [3] drops the 3rd. */
  readonly dropList?: readonly number[];
  /** Scripted extra delay (ms) for a datagram, by its 1-based index and content: reorders chosen datagrams. */
  readonly extraDelay?: (index: number, datagram: Uint8Array) => number;
}

/** Thrown when `run` exceeds its step cap or virtual-time limit without reaching its goal. */
export class SimLivelockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SimLivelockError";
  }
}

/** A seeded PRNG (mulberry32): fast, 32-bit state, good enough for impairments; not for crypto. */
export class Prng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** Counters per link, for assertions and for explaining a failure. */
export interface LinkStats {
  sent: number;
  delivered: number;
  lost: number;
  dropped: number;
  queueDropped: number;
  duplicated: number;
  reordered: number;
  bytes: number;
}

interface Link {
  readonly config: Required<Omit<LinkConfig, "bandwidth" | "dropList" | "extraDelay">> & {
    bandwidth: number | undefined;
    dropList: ReadonlySet<number>;
    extraDelay: ((index: number, datagram: Uint8Array) => number) | undefined;
  };
  readonly stats: LinkStats;
  busyUntil: number;
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly to: SimHost;
  readonly from: SimAddress;
  /** The host's extra socket it is addressed to, if any. */
  readonly local: SimAddress | undefined;
  readonly data: Uint8Array;
}

/** One observed datagram, for traces and scripted assertions. */
export interface DatagramRecord {
  readonly at: number;
  readonly from: SimAddress;
  readonly to: SimAddress;
  readonly length: number;
  /** 1-based index among datagrams this sender put on this link. */
  readonly index: number;
  readonly fate: "delivered" | "lost" | "dropped" | "queue-dropped";
}

/** Options of `run`. */
export interface RunOptions {
  /** Maximum loop iterations (default 200,000). */
  readonly maxSteps?: number;
  /** Absolute virtual time after which `run` gives up (default: now + 10 minutes). */
  readonly maxTime?: number;
  /** When true, returns instead of throwing if `until` is not reached (the network went quiet or hit a limit). */
  readonly allowIncomplete?: boolean;
}

const MAX_DATAGRAM = 65_527;
const MAX_TRANSMITS_PER_POLL = 100_000;

const addressKey = (a: SimAddress): string => `${a.address}:${a.port}`;

/** The network: hosts, links between them, a virtual clock and an event queue. */
export class SimNetwork {
  /** Virtual time in ms. */
  now: number;
  readonly prng: Prng;
  readonly #hosts = new Map<string, SimHost>();
  readonly #aliases = new Map<string, SimHost>();
  readonly #rebound = new Map<SimHost, SimAddress>();
  /** Extra sockets of hosts (`pollTransmit`'s `from`), by address. */
  readonly #sockets = new Map<string, { host: SimHost; local: SimAddress }>();
  readonly #links = new Map<string, Link>();
  readonly #defaultLink: LinkConfig;
  #queue: InFlight[] = [];
  #seq = 0;
  readonly #buffer = new Uint8Array(MAX_DATAGRAM);
  /** Every datagram put on a link, in send order (capped at `traceLimit`). */
  readonly trace: DatagramRecord[] = [];
  traceLimit = 10_000;
  /** Steps taken by all `run` calls so far. */
  steps = 0;

  constructor(options: { seed: number; link?: LinkConfig; start?: number }) {
    this.prng = new Prng(options.seed);
    this.#defaultLink = options.link ?? {};
    this.now = options.start ?? 0;
  }

  /** Adds a host; its address must be unique. */
  add<H extends SimHost>(host: H): H {
    const key = addressKey(host.address);
    if (this.#hosts.has(key)) throw new Error(`duplicate host address ${key}`);
    this.#hosts.set(key, host);
    return host;
  }

  /**
   * NAT rebinding: from now on `host`'s datagrams leave from `address`, and
   * datagrams sent to `address` reach `host` (its own address keeps working
   * for datagrams still in flight).
   */
  rebind(host: SimHost, address: SimAddress): void {
    this.#rebound.set(host, address);
    this.#aliases.set(addressKey(address), host);
  }

  /** Sets the impairments of the direction `from` -> `to` (overrides the network default; counters and drop-list indices restart at 0). */
  setLink(from: SimAddress, to: SimAddress, config: LinkConfig): void {
    this.#links.set(`${addressKey(from)}>${addressKey(to)}`, makeLink(config));
  }

  /** Counters of the direction `from` -> `to`. */
  linkStats(from: SimAddress, to: SimAddress): LinkStats {
    return this.#link(from, to).stats;
  }

  /** Datagrams still in flight. */
  get inFlight(): number {
    return this.#queue.length;
  }

  /**
   * Runs the loop until `until()` is true (checked after every step).
   * Returns true when it was reached; false only with `allowIncomplete`.
   * Throws SimLivelockError past `maxSteps` or `maxTime`, and when the
   * network goes quiet (nothing in flight, no deadline) before `until`.
   */
  run(until: () => boolean, options: RunOptions = {}): boolean {
    const maxSteps = options.maxSteps ?? 200_000;
    const maxTime = options.maxTime ?? this.now + 600_000;
    const fail = (why: string): false => {
      if (options.allowIncomplete) return false;
      throw new SimLivelockError(`${why} at t=${this.now.toFixed(3)} ms after ${this.steps} steps`);
    };
    for (let step = 0; ; step++) {
      this.#drainTransmits();
      if (until()) return true;
      if (step >= maxSteps) return fail(`step cap ${maxSteps} reached`);
      const delivery = this.#queue[0];
      let deadline: number | undefined;
      for (const host of this.#hosts.values()) {
        const t = host.pollTimeout();
        if (t !== undefined && (deadline === undefined || t < deadline)) deadline = t;
      }
      if (delivery === undefined && deadline === undefined) return fail("network quiet");
      const deliver = delivery !== undefined && (deadline === undefined || delivery.at <= deadline);
      const next = deliver ? delivery.at : (deadline as number);
      if (next > maxTime) return fail(`time limit ${maxTime} ms reached`);
      this.steps++;
      this.now = Math.max(this.now, next);
      if (deliver) {
        this.#queue.shift();
        if (delivery.local === undefined) delivery.to.handleDatagram(this.now, delivery.data, delivery.from);
        else delivery.to.handleDatagram(this.now, delivery.data, delivery.from, delivery.local);
      } else {
        for (const host of this.#hosts.values()) {
          const t = host.pollTimeout();
          if (t !== undefined && t <= this.now) host.handleTimeout(this.now);
        }
      }
    }
  }

  /** Advances the clock to `time`, processing everything due on the way. */
  runFor(duration: number, options: Omit<RunOptions, "maxTime" | "allowIncomplete"> = {}): void {
    const end = this.now + duration;
    this.run(() => false, { ...options, maxTime: end, allowIncomplete: true });
    this.now = Math.max(this.now, end);
  }

  #link(from: SimAddress, to: SimAddress): Link {
    const key = `${addressKey(from)}>${addressKey(to)}`;
    let link = this.#links.get(key);
    if (link === undefined) {
      link = makeLink(this.#defaultLink);
      this.#links.set(key, link);
    }
    return link;
  }

  #drainTransmits(): void {
    for (const host of this.#hosts.values()) {
      for (let n = 0; ; n++) {
        if (n >= MAX_TRANSMITS_PER_POLL) throw new SimLivelockError(`host ${addressKey(host.address)} never stops transmitting`);
        const out = host.pollTransmit(this.now, this.#buffer);
        if (out === undefined) break;
        if (out.from !== undefined) this.#sockets.set(addressKey(out.from), { host, local: out.from });
        this.#send(out.from ?? this.#rebound.get(host) ?? host.address, out.to, this.#buffer.slice(0, out.length));
      }
    }
  }

  #send(from: SimAddress, toAddress: SimAddress, data: Uint8Array): void {
    const link = this.#link(from, toAddress);
    const { config, stats } = link;
    stats.sent++;
    const index = stats.sent;
    const record = (fate: DatagramRecord["fate"]): void => {
      if (this.trace.length < this.traceLimit) this.trace.push({ at: this.now, from, to: toAddress, length: data.length, index, fate });
    };
    const socket = this.#sockets.get(addressKey(toAddress));
    const to = this.#hosts.get(addressKey(toAddress)) ?? socket?.host ?? this.#aliases.get(addressKey(toAddress));
    // Draw every random number in a fixed order whatever the outcome, so one impairment's setting does not reshuffle the others.
    const lossDraw = this.prng.next();
    const dupDraw = this.prng.next();
    if (config.dropList.has(index)) {
      stats.dropped++;
      record("dropped");
      return;
    }
    if (lossDraw < config.loss || to === undefined) {
      stats.lost++;
      record("lost");
      return;
    }
    let leaves = this.now;
    if (config.bandwidth !== undefined) {
      const start = Math.max(this.now, link.busyUntil);
      if ((start - this.now) * config.bandwidth > config.queueBytes) {
        stats.queueDropped++;
        record("queue-dropped");
        return;
      }
      leaves = start + data.length / config.bandwidth;
      link.busyUntil = leaves;
    }
    stats.bytes += data.length;
    record("delivered");
    const copies = dupDraw < config.duplicate ? 2 : 1;
    if (copies === 2) stats.duplicated++;
    for (let i = 0; i < copies; i++) {
      let at = leaves + config.delay + (config.jitter > 0 ? this.prng.next() * config.jitter : 0) + (config.extraDelay?.(index, data) ?? 0);
      if (config.reorder > 0 && this.prng.next() < config.reorder) {
        at += config.reorderDelay;
        stats.reordered++;
      }
      stats.delivered++;
      this.#enqueue({ at, seq: this.#seq++, to, from, local: socket?.local, data: i === 0 ? data : data.slice() });
    }
  }

  #enqueue(item: InFlight): void {
    // Sorted insert by (at, seq): queues stay short (a window's worth), and a binary search keeps it O(log n) + memmove.
    const q = this.#queue;
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = q[mid]!;
      if (m.at < item.at || (m.at === item.at && m.seq < item.seq)) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, item);
  }
}

function makeLink(config: LinkConfig): Link {
  const delay = config.delay ?? 10;
  for (const [name, p] of [
    ["loss", config.loss],
    ["reorder", config.reorder],
    ["duplicate", config.duplicate],
  ] as const)
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`${name} must be in [0, 1], got ${p}`);
  if (!(delay >= 0)) throw new RangeError(`delay must be >= 0, got ${delay}`);
  if (config.bandwidth !== undefined && !(config.bandwidth > 0)) throw new RangeError(`bandwidth must be > 0, got ${config.bandwidth}`);
  return {
    config: {
      delay,
      jitter: config.jitter ?? 0,
      loss: config.loss ?? 0,
      reorder: config.reorder ?? 0,
      reorderDelay: config.reorderDelay ?? 2 * delay + 1,
      duplicate: config.duplicate ?? 0,
      bandwidth: config.bandwidth,
      queueBytes: config.queueBytes ?? 65_536,
      dropList: new Set(config.dropList ?? []),
      extraDelay: config.extraDelay,
    },
    stats: { sent: 0, delivered: 0, lost: 0, dropped: 0, queueDropped: 0, duplicated: 0, reordered: 0, bytes: 0 },
    busyUntil: 0,
  };
}
