/**
 * The connection's stream layer (RFC 9000 §2-4): the map of open streams,
 * the dispatch of stream frames to streams/'s send and receive state
 * machines, connection-level flow control, stream limits, and the packing
 * of stream frames into 1-RTT packets with their retransmission on loss.
 *
 * It exists once both transport parameter sets are known (the limits come
 * from them), which is before any 1-RTT packet is processed.
 *
 * Scheduling: streams with data take turns (round robin, one frame each per
 * pass), so one bulk stream cannot starve the others. Control frames
 * (MAX_DATA, MAX_STREAM_DATA, MAX_STREAMS, RESET_STREAM, STOP_SENDING) go
 * before data, since a peer blocked on credit is waiting for them.
 *
 * @module
 */
import type { TransportConfig } from "../config.js";
import { QuicError, TransportError, TransportErrorCode } from "../errors.js";
import type { ConnectionEvent, StreamDirection } from "../events.js";
import { ReceiveCredit, SendCredit } from "../streams/flow-control.js";
import { type ReadResult, RecvStream } from "../streams/recv-stream.js";
import { SendStream } from "../streams/send-stream.js";
import { canReceive, canSend, isLocalStream, makeStreamId, type StreamInitiator, streamDirection } from "../streams/stream-id.js";
import { StreamLimits } from "../streams/stream-limits.js";
import { type Frame, FrameType, writeStreamFrame } from "../wire/frame.js";
import type { TransportParameters } from "../wire/transport-parameters.js";
import { varintLength } from "../wire/varint.js";
import type { Writer } from "../wire/writer.js";
import type { SentFrames, SentStreamLimit } from "./sent-frames.js";

/** The application used a stream in a way its state does not allow (unknown ID, wrong direction, write after finish). */
export class StreamStateError extends QuicError<"ZSYNC_QUIC_STREAM_STATE"> {
  static {
    StreamStateError.brand("@zsync/quic:StreamStateError");
  }

  readonly streamId: number;
  constructor(streamId: number, message: string) {
    super("ZSYNC_QUIC_STREAM_STATE", `stream ${streamId}: ${message}`);
    this.streamId = streamId;
  }
}

interface StreamEntry {
  readonly id: number;
  readonly send: SendStream | undefined;
  readonly recv: RecvStream | undefined;
  /** STOP_SENDING to send (its error code), or undefined. */
  stopSending: number | undefined;
  /** A MAX_STREAM_DATA is due. */
  maxStreamDataPending: boolean;
  /** A `stream-readable` event is outstanding (not yet followed by a read). */
  readableSignaled: boolean;
  /** The application was refused room by `write`: signal `stream-writable` when room appears. */
  writeBlocked: boolean;
  /** `stream-finished` was reported. */
  finishedSignaled: boolean;
  /** A STREAM_DATA_BLOCKED to send (the peer's MAX_STREAM_DATA we are blocked at), or undefined. */
  dataBlocked: number | undefined;
  /** A 0-RTT packet opened this peer stream or carried its data: it may be a replay (RFC 9001 §9.2). */
  early: boolean;
}

/**
 * The *_BLOCKED frames (RFC 9000 §19.12-19.14) this connection sent and
 * received: a peer that keeps us blocked shows here, and so does one that
 * says it is blocked by our credit (our windows are too small for it).
 */
export interface BlockedFrameCounters {
  dataBlockedSent: number;
  streamDataBlockedSent: number;
  streamsBlockedSent: number;
  dataBlockedReceived: number;
  streamDataBlockedReceived: number;
  streamsBlockedReceived: number;
}

/** Counters with nothing sent or received yet. @internal */
export function noBlockedFrames(): BlockedFrameCounters {
  return {
    dataBlockedSent: 0,
    streamDataBlockedSent: 0,
    streamsBlockedSent: 0,
    dataBlockedReceived: 0,
    streamDataBlockedReceived: 0,
    streamsBlockedReceived: 0,
  };
}

/** Largest STREAM frame header: type, an 8-byte stream ID, an 8-byte offset and a 2-byte length. */
const STREAM_HEADER_MAX = 1 + 8 + 8 + 2;
/**
 * Auto-tuning may grow a receive window this many times its initial size (16 MiB per stream and 64 MiB per
 * connection with the defaults): enough for a bulk stream whose RTT inflates under load, while a window
 * only grows when the application reads fast enough to consume it within two RTTs.
 */
const WINDOW_GROWTH = 16;

/** See the module comment. */
export class StreamManager {
  readonly #side: StreamInitiator;
  readonly #config: TransportConfig;
  /** Not readonly: a 0-RTT client starts from the remembered parameters and moves to the real ones (`updatePeer`). */
  #peer: TransportParameters;
  readonly #events: ConnectionEvent[];
  readonly limits: StreamLimits;
  /** Connection-level credit we grant (MAX_DATA). */
  readonly #connRecv: ReceiveCredit;
  /** Connection-level credit the peer grants. */
  readonly #connSend: SendCredit;
  readonly #streams = new Map<number, StreamEntry>();
  /** Peer-opened streams not yet accepted, per direction (IDs ascending). */
  readonly #incoming: Record<StreamDirection, number[]> = { bidi: [], uni: [] };
  /** Round-robin order of streams that may have data to send. */
  #sendOrder: number[] = [];
  /** Where the next packet's STREAM frames start in `#sendOrder`. */
  #roundRobin = 0;
  readonly #inSendOrder = new Set<number>();
  #maxDataPending = false;
  /**
   * Streams that want to send but got nothing from `nextChunk` (out of
   * connection credit). Skipped by `wantsToSend` until something changes
   * (MAX_DATA, MAX_STREAM_DATA, a loss, a new write), so that a blocked
   * stream does not make every pass emit an ACK-only packet (which the peer
   * would answer in kind: an ACK ping-pong).
   */
  readonly #stalled = new Set<number>();
  /** A STREAMS_BLOCKED to send per direction (the peer's limit we hit), or undefined. */
  readonly #streamsBlocked: Record<StreamDirection, number | undefined> = { bidi: undefined, uni: undefined };
  /** A DATA_BLOCKED is due (we are blocked at the peer's MAX_DATA, RFC 9000 §4.1). */
  #dataBlockedPending = false;
  readonly #maxStreamsPending: Record<StreamDirection, boolean> = { bidi: false, uni: false };
  /** The frame being handled came in a 0-RTT packet (streams it opens implicitly are marked too). */
  #earlyFrame = false;
  /** See {@link BlockedFrameCounters}. */
  readonly blockedFrames: BlockedFrameCounters = noBlockedFrames();

  constructor(side: StreamInitiator, config: TransportConfig, peer: TransportParameters, events: ConnectionEvent[]) {
    this.#side = side;
    this.#config = config;
    this.#peer = peer;
    this.#events = events;
    this.limits = new StreamLimits(side, {
      localBidi: config.initialMaxStreamsBidi,
      localUni: config.initialMaxStreamsUni,
      peerBidi: peer.initialMaxStreamsBidi,
      peerUni: peer.initialMaxStreamsUni,
    });
    this.#connRecv = new ReceiveCredit({
      initialWindow: config.initialMaxData,
      maxWindow: config.initialMaxData * WINDOW_GROWTH,
      frameType: FrameType.STREAM,
    });
    this.#connSend = new SendCredit(peer.initialMaxData);
  }

  /**
   * The peer's real transport parameters after a 0-RTT start from remembered
   * ones (RFC 9000 §7.4.1): limits are raised in place, so the streams opened
   * for early data keep their state. The caller checks that no limit went
   * down (§7.4.1 when 0-RTT was accepted; a refusing server may lower them,
   * which the caller handles).
   */
  updatePeer(peer: TransportParameters): void {
    const old = this.#peer;
    this.#peer = peer;
    this.#connSend.onMaxData(peer.initialMaxData);
    if (this.limits.onMaxStreams("bidi", peer.initialMaxStreamsBidi)) this.#events.push({ type: "streams-available", direction: "bidi" });
    if (this.limits.onMaxStreams("uni", peer.initialMaxStreamsUni)) this.#events.push({ type: "streams-available", direction: "uni" });
    for (const [id, e] of this.#streams) {
      if (e.send === undefined) continue;
      const bidi = streamDirection(id) === "bidi";
      const local = isLocalStream(id, this.#side);
      const limit = !bidi ? peer.initialMaxStreamDataUni : local ? peer.initialMaxStreamDataBidiRemote : peer.initialMaxStreamDataBidiLocal;
      e.send.onMaxStreamData(limit);
    }
    if (old !== peer) {
      this.#stalled.clear();
      for (const id of this.#streams.keys()) this.#schedule(id);
    }
  }

  /** Open streams (for tests and stats). */
  get openCount(): number {
    return this.#streams.size;
  }

  // ------------------------------------------------------------ application

  /** Opens a stream of ours; undefined when the peer's MAX_STREAMS is reached (wait for `streams-available`). */
  open(direction: StreamDirection): number | undefined {
    const id = this.limits.openLocal(direction);
    if (id === undefined) {
      // §4.6, §19.14: tell the peer we are blocked at its limit (once per limit value).
      const limit = this.limits.streamsBlocked(direction);
      if (limit !== undefined) this.#streamsBlocked[direction] = limit;
      return undefined;
    }
    this.#create(id);
    return id;
  }

  /**
   * Server: whether peer stream `id` was opened by a 0-RTT packet or got data
   * in one (RFC 9001 §4.6.1). Such a request may be a replay of one an
   * attacker recorded (RFC 9001 §9.2, RFC 8446 §8): an application defers
   * work that is not idempotent until the handshake completes, or refuses it.
   * Streams are only opened early before the first 1-RTT packet arrives
   * (0-RTT keys are dropped then), so the answer is settled when the stream
   * is accepted. False for a stream no longer open.
   */
  receivedInEarlyData(id: number): boolean {
    return this.#streams.get(id)?.early ?? false;
  }

  /** The next stream the peer opened, or undefined. */
  accept(direction: StreamDirection): number | undefined {
    return this.#incoming[direction].shift();
  }

  /** Queues data; returns the bytes accepted (fewer means back-pressure: wait for `stream-writable`). */
  write(id: number, data: Uint8Array): number {
    const entry = this.#entry(id);
    const send = entry.send;
    if (send === undefined) throw new StreamStateError(id, "is receive-only");
    if (send.state === "ResetSent" || send.state === "ResetRecvd") throw new StreamStateError(id, "was reset");
    if (send.finalSize !== undefined) throw new StreamStateError(id, "was finished");
    const n = send.write(data);
    if (n < data.length) entry.writeBlocked = true;
    if (n > 0) this.#schedule(id);
    return n;
  }

  /** Ends our sending side after the data written (FIN). */
  finish(id: number): void {
    const send = this.#entry(id).send;
    if (send === undefined) throw new StreamStateError(id, "is receive-only");
    send.finish();
    this.#schedule(id);
  }

  /** Reads into `out`; `fin` once the whole stream was read. After a peer reset, see the `stream-reset` event. */
  read(id: number, out: Uint8Array): ReadResult {
    const entry = this.#entry(id);
    const recv = entry.recv;
    if (recv === undefined) throw new StreamStateError(id, "is send-only");
    const result = recv.read(out);
    if (recv.readable === 0) entry.readableSignaled = false;
    this.#afterConsumed(entry);
    this.#maybeRemove(entry);
    return result;
  }

  /** Abandons our sending side with an application error code (RESET_STREAM). */
  reset(id: number, errorCode: number): void {
    const entry = this.#entry(id);
    if (entry.send === undefined) throw new StreamStateError(id, "is receive-only");
    entry.send.reset(errorCode);
    this.#schedule(id);
  }

  /** Asks the peer to stop sending (STOP_SENDING) and discards what arrives. */
  stopSending(id: number, errorCode: number): void {
    const entry = this.#entry(id);
    const recv = entry.recv;
    if (recv === undefined) throw new StreamStateError(id, "is send-only");
    if (recv.stopped || recv.isClosed) return;
    recv.stopSending();
    entry.stopSending = errorCode;
    this.#afterConsumed(entry);
    this.#schedule(id);
  }

  // ------------------------------------------------------------------ peer

  /**
   * Handles a stream-related frame from a 1-RTT packet, or from a 0-RTT
   * packet (`early`: the streams it opens or sends on are marked, see
   * {@link receivedInEarlyData}).
   */
  onFrame(frame: Frame, early = false): void {
    this.#earlyFrame = early;
    switch (frame.kind) {
      case "stream": {
        const entry = this.#peerReferenced(frame.streamId, FrameType.STREAM, "receive");
        if (entry === undefined) return;
        if (early) entry.early = true;
        const recv = entry.recv!;
        const wasReadable = recv.isReadable;
        const delta = recv.onStreamFrame(frame.offset, frame.data, frame.fin);
        this.#connRecv.onReceivedDelta(delta, FrameType.STREAM);
        if (recv.stopped) this.#afterConsumed(entry);
        if (recv.isReadable && (!wasReadable || !entry.readableSignaled) && !recv.stopped) {
          entry.readableSignaled = true;
          this.#events.push({ type: "stream-readable", id: entry.id });
        }
        return;
      }
      case "reset-stream": {
        const entry = this.#peerReferenced(frame.streamId, FrameType.RESET_STREAM, "receive");
        if (entry === undefined) return;
        if (early) entry.early = true;
        const recv = entry.recv!;
        const before = recv.state;
        const delta = recv.onResetStream(frame.errorCode, frame.finalSize);
        this.#connRecv.onReceivedDelta(delta, FrameType.RESET_STREAM);
        this.#afterConsumed(entry);
        if (before !== recv.state && recv.state === "ResetRecvd") {
          this.#events.push({ type: "stream-reset", id: entry.id, errorCode: frame.errorCode });
          entry.readableSignaled = true;
        }
        return;
      }
      case "stop-sending": {
        const entry = this.#peerReferenced(frame.streamId, FrameType.STOP_SENDING, "send");
        if (entry === undefined) return;
        if (entry.send!.onStopSending(frame.errorCode)) {
          this.#events.push({ type: "stream-stopped", id: entry.id, errorCode: frame.errorCode });
          this.#schedule(entry.id);
        }
        return;
      }
      case "max-stream-data": {
        const entry = this.#peerReferenced(frame.streamId, FrameType.MAX_STREAM_DATA, "send");
        if (entry === undefined) return;
        if (entry.send!.onMaxStreamData(frame.maximum)) {
          this.#stalled.delete(entry.id);
          this.#schedule(entry.id);
          this.#signalWritable(entry);
        }
        return;
      }
      case "stream-data-blocked":
        this.blockedFrames.streamDataBlockedReceived++;
        this.#peerReferenced(frame.streamId, FrameType.STREAM_DATA_BLOCKED, "receive");
        return;
      case "max-data":
        if (this.#connSend.onMaxData(frame.maximum)) {
          this.#stalled.clear();
          for (const id of this.#streams.keys()) this.#schedule(id);
        }
        return;
      case "max-streams":
        if (this.limits.onMaxStreams(frame.bidirectional ? "bidi" : "uni", frame.maximum))
          this.#events.push({ type: "streams-available", direction: frame.bidirectional ? "bidi" : "uni" });
        return;
      case "streams-blocked":
        this.blockedFrames.streamsBlockedReceived++;
        this.limits.onStreamsBlocked(frame.bidirectional ? "bidi" : "uni", frame.limit);
        return;
      case "data-blocked":
        this.blockedFrames.dataBlockedReceived++;
        return;
      default:
        return;
    }
  }

  /**
   * Validates a stream ID from the peer (RFC 9000 §19.4-19.13) and opens
   * peer streams up to it. `need` is the half the frame addresses on our
   * side. Returns undefined for a stream that was already closed and
   * forgotten (late retransmissions are ignored).
   */
  #peerReferenced(id: number, frameType: number, need: "send" | "receive"): StreamEntry | undefined {
    const allowed = need === "receive" ? canReceive(id, this.#side) : canSend(id, this.#side);
    if (!allowed)
      throw new TransportError(
        TransportErrorCode.STREAM_STATE_ERROR,
        `frame 0x${frameType.toString(16)} for stream ${id}, which is ${need === "receive" ? "send" : "receive"}-only here`,
        frameType,
      );
    const opened = this.limits.onStreamReferenced(id, frameType);
    if (opened.to > opened.from) {
      const direction = streamDirection(id);
      const initiator: StreamInitiator = this.#side === "client" ? "server" : "client";
      for (let index = opened.from; index < opened.to; index++) {
        const newId = makeStreamId(index, initiator, direction);
        this.#create(newId).early = this.#earlyFrame;
        this.#incoming[direction].push(newId);
      }
      this.#events.push({ type: "stream-opened", direction });
    }
    return this.#streams.get(id);
  }

  // ------------------------------------------------------------------ send

  /** True when a stream or flow-control frame is waiting. */
  get wantsToSend(): boolean {
    if (
      this.#maxDataPending ||
      this.#dataBlockedPending ||
      this.#streamsBlocked.bidi !== undefined ||
      this.#streamsBlocked.uni !== undefined ||
      this.#connRecv.shouldUpdate() ||
      this.#maxStreamsPending.bidi ||
      this.#maxStreamsPending.uni
    )
      return true;
    for (const id of this.#sendOrder) {
      const e = this.#streams.get(id);
      if (e === undefined) continue;
      if (e.stopSending !== undefined || e.maxStreamDataPending || e.dataBlocked !== undefined) return true;
      if (e.send?.wantsToSend && !this.#stalled.has(id)) return true;
    }
    return false;
  }

  /** Writes control frames then STREAM frames into `w`; returns whether anything was written. */
  fill(w: Writer, frames: SentFrames, now: number, smoothedRtt: number): boolean {
    const start = w.position;
    if ((this.#maxDataPending || this.#connRecv.shouldUpdate()) && w.remaining >= 9) {
      w.u8(FrameType.MAX_DATA).varint(this.#connRecv.takeUpdate(now, smoothedRtt));
      this.#maxDataPending = false;
      frames.maxData = true;
    }
    if (this.#dataBlockedPending) this.#writeDataBlocked(w, frames);
    for (const direction of ["bidi", "uni"] as const) {
      const limit = this.#streamsBlocked[direction];
      if (limit !== undefined && this.limits.availableLocal(direction) > 0)
        this.#streamsBlocked[direction] = undefined; // MAX_STREAMS came first
      else if (limit !== undefined && w.remaining >= 9) {
        w.u8(direction === "bidi" ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI).varint(limit);
        this.#streamsBlocked[direction] = undefined;
        if (direction === "bidi") frames.streamsBlockedBidi = limit;
        else frames.streamsBlockedUni = limit;
        this.blockedFrames.streamsBlockedSent++;
      }
    }
    for (const direction of ["bidi", "uni"] as const) {
      if (this.#maxStreamsPending[direction] && w.remaining >= 9) {
        w.u8(direction === "bidi" ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI).varint(this.limits.remoteLimit(direction));
        this.#maxStreamsPending[direction] = false;
        if (direction === "bidi") frames.maxStreamsBidi = true;
        else frames.maxStreamsUni = true;
      }
    }
    // Control frames of every scheduled stream, then data round robin.
    for (const id of this.#sendOrder) {
      const e = this.#streams.get(id);
      if (e === undefined) continue;
      if (e.stopSending !== undefined && w.remaining >= 1 + 8 + 8) {
        w.u8(FrameType.STOP_SENDING).varint(id).varint(e.stopSending);
        e.stopSending = undefined;
        frames.stopSending = append(frames.stopSending, id);
      }
      if (e.maxStreamDataPending && e.recv !== undefined && w.remaining >= 1 + 8 + 8) {
        w.u8(FrameType.MAX_STREAM_DATA).varint(id).varint(e.recv.credit.takeUpdate(now, smoothedRtt));
        e.maxStreamDataPending = false;
        frames.maxStreamData = append(frames.maxStreamData, id);
      }
      if (e.dataBlocked !== undefined) this.#writeStreamDataBlocked(w, frames, e);
      const reset = e.send?.takeResetFrame();
      if (reset !== undefined) {
        if (w.remaining >= 1 + 8 + 8 + 8) {
          w.u8(FrameType.RESET_STREAM).varint(id).varint(reset.errorCode).varint(reset.finalSize);
          frames.resetStream = append(frames.resetStream, id);
        } else e.send!.onResetLost(); // no room: due again next packet
      }
    }
    const order = this.#sendOrder;
    const n = order.length;
    let done: number[] | undefined;
    let lastServed = -1;
    for (let k = 0; k < n && w.remaining > STREAM_HEADER_MAX; k++) {
      const index = (this.#roundRobin + k) % n;
      const id = order[index] as number;
      const e = this.#streams.get(id);
      const send = e?.send;
      if (send === undefined || !send.wantsToSend) {
        if (e !== undefined) this.#checkStreamBlocked(w, frames, e);
        done = append(done, id);
        continue;
      }
      const room = w.remaining - (1 + varintLength(id) + 8 + 2);
      const chunk = send.nextChunk(Math.min(room, 16_383), this.#connSend.available);
      if (chunk === undefined) {
        this.#stalled.add(id);
        if (this.#connSend.shouldSendBlocked()) {
          this.#dataBlockedPending = true;
          this.#writeDataBlocked(w, frames);
        }
        continue;
      }
      this.#connSend.consume(chunk.newBytes);
      writeStreamFrame(w, id, chunk.offset, chunk.data, chunk.fin);
      frames.streams = append(frames.streams, { id, offset: chunk.offset, length: chunk.data.length, fin: chunk.fin });
      lastServed = index;
      if (!send.wantsToSend) {
        this.#checkStreamBlocked(w, frames, e!);
        done = append(done, id);
      }
    }
    // The next packet starts with the stream after the last one served (round robin, no reallocation).
    if (lastServed >= 0) this.#roundRobin = lastServed + 1;
    if (done !== undefined) for (const id of done) this.#unschedule(id);
    return w.position > start;
  }

  /** A packet with these frames was acknowledged. */
  onAcked(frames: SentFrames): void {
    if (frames.streams !== undefined)
      for (const r of frames.streams) {
        const e = this.#streams.get(r.id);
        const send = e?.send;
        if (e === undefined || send === undefined) continue;
        send.onAcked(r.offset, r.length, r.fin);
        this.#signalWritable(e);
        if (send.state === "DataRecvd" && !e.finishedSignaled) {
          e.finishedSignaled = true;
          this.#events.push({ type: "stream-finished", id: r.id });
        }
        this.#maybeRemove(e);
      }
    if (frames.resetStream !== undefined)
      for (const id of frames.resetStream) {
        const e = this.#streams.get(id);
        if (e?.send === undefined) continue;
        e.send.onResetAcked();
        this.#maybeRemove(e);
      }
  }

  /** A packet with these frames was declared lost: queue what still matters. */
  onLost(frames: SentFrames): void {
    if (frames.maxData) this.#maxDataPending = true;
    if (frames.dataBlocked >= 0) this.#onDataBlockedLost(frames.dataBlocked);
    if (frames.streamsBlockedBidi >= 0) this.#onStreamsBlockedLost("bidi", frames.streamsBlockedBidi);
    if (frames.streamsBlockedUni >= 0) this.#onStreamsBlockedLost("uni", frames.streamsBlockedUni);
    if (frames.streamDataBlocked !== undefined) for (const b of frames.streamDataBlocked) this.#onStreamDataBlockedLost(b);
    if (frames.maxStreamsBidi) this.#maxStreamsPending.bidi = true;
    if (frames.maxStreamsUni) this.#maxStreamsPending.uni = true;
    if (frames.streams !== undefined)
      for (const r of frames.streams) {
        const e = this.#streams.get(r.id);
        if (e?.send === undefined) continue;
        e.send.onLost(r.offset, r.length, r.fin);
        this.#schedule(r.id);
      }
    if (frames.resetStream !== undefined)
      for (const id of frames.resetStream) {
        const e = this.#streams.get(id);
        if (e?.send === undefined) continue;
        e.send.onResetLost();
        this.#schedule(id);
      }
    if (frames.maxStreamData !== undefined)
      for (const id of frames.maxStreamData) {
        const e = this.#streams.get(id);
        if (e?.recv === undefined || e.recv.finalSize !== undefined) continue;
        e.maxStreamDataPending = true;
        this.#schedule(id);
      }
    if (frames.stopSending !== undefined)
      for (const id of frames.stopSending) {
        const e = this.#streams.get(id);
        if (e?.recv === undefined || e.recv.isClosed || e.recv.finalSize !== undefined) continue;
        e.stopSending = e.stopSending ?? 0;
        this.#schedule(id);
      }
  }

  // --------------------------------------------------------------- helpers

  #create(id: number): StreamEntry {
    const local = isLocalStream(id, this.#side);
    const bidi = streamDirection(id) === "bidi";
    const send = canSend(id, this.#side)
      ? new SendStream({
          peerMaxStreamData: !bidi
            ? this.#peer.initialMaxStreamDataUni
            : local
              ? this.#peer.initialMaxStreamDataBidiRemote
              : this.#peer.initialMaxStreamDataBidiLocal,
        })
      : undefined;
    let recv: RecvStream | undefined;
    if (canReceive(id, this.#side)) {
      const window = !bidi
        ? this.#config.initialMaxStreamDataUni
        : local
          ? this.#config.initialMaxStreamDataBidiLocal
          : this.#config.initialMaxStreamDataBidiRemote;
      recv = new RecvStream({ window, maxWindow: window * WINDOW_GROWTH });
    }
    const entry: StreamEntry = {
      id,
      send,
      recv,
      stopSending: undefined,
      maxStreamDataPending: false,
      readableSignaled: false,
      writeBlocked: false,
      finishedSignaled: false,
      dataBlocked: undefined,
      early: false,
    };
    this.#streams.set(id, entry);
    return entry;
  }

  #entry(id: number): StreamEntry {
    const entry = this.#streams.get(id);
    if (entry === undefined) throw new StreamStateError(id, "is not open");
    return entry;
  }

  #schedule(id: number): void {
    this.#stalled.delete(id);
    if (this.#inSendOrder.has(id)) return;
    this.#inSendOrder.add(id);
    this.#sendOrder.push(id);
  }

  #unschedule(id: number): void {
    const e = this.#streams.get(id);
    if (e !== undefined && (e.stopSending !== undefined || e.maxStreamDataPending || e.dataBlocked !== undefined || e.send?.wantsToSend))
      return;
    if (!this.#inSendOrder.delete(id)) return;
    this.#sendOrder = this.#sendOrder.filter((x) => x !== id);
  }

  /** Credit released by reads, resets and STOP_SENDING flows back to the connection; window updates get scheduled. */
  #afterConsumed(entry: StreamEntry): void {
    const recv = entry.recv;
    if (recv === undefined) return;
    this.#connRecv.onConsumed(recv.takeConsumed());
    if (recv.finalSize === undefined && !recv.stopped && recv.credit.shouldUpdate()) {
      entry.maxStreamDataPending = true;
      this.#schedule(entry.id);
    }
  }

  /**
   * A stream that cannot send for want of stream credit says so once per
   * limit (RFC 9000 §4.1, §19.13): in this packet when it has room, else in
   * the next one.
   */
  #checkStreamBlocked(w: Writer, frames: SentFrames, entry: StreamEntry): void {
    const limit = entry.send?.takeBlocked();
    if (limit === undefined) return;
    entry.dataBlocked = limit;
    this.#writeStreamDataBlocked(w, frames, entry);
    if (entry.dataBlocked !== undefined) this.#schedule(entry.id);
  }

  #writeStreamDataBlocked(w: Writer, frames: SentFrames, entry: StreamEntry): void {
    const limit = entry.dataBlocked as number;
    const send = entry.send;
    if (send === undefined || !send.flowBlocked || send.credit.limit !== limit) {
      entry.dataBlocked = undefined; // MAX_STREAM_DATA or a reset came first: nothing left to say
      return;
    }
    if (w.remaining < 1 + 8 + 8) return;
    w.u8(FrameType.STREAM_DATA_BLOCKED).varint(entry.id).varint(limit);
    entry.dataBlocked = undefined;
    frames.streamDataBlocked = append<SentStreamLimit>(frames.streamDataBlocked, { id: entry.id, limit });
    this.blockedFrames.streamDataBlockedSent++;
  }

  /** DATA_BLOCKED at the peer's current MAX_DATA (RFC 9000 §19.12); stays pending when the packet has no room. */
  #writeDataBlocked(w: Writer, frames: SentFrames): void {
    if (this.#connSend.used < this.#connSend.limit) {
      this.#dataBlockedPending = false; // a MAX_DATA came first
      return;
    }
    if (w.remaining < 9) return;
    const limit = this.#connSend.limit;
    w.u8(FrameType.DATA_BLOCKED).varint(limit);
    this.#connSend.onBlockedSent();
    this.#dataBlockedPending = false;
    frames.dataBlocked = limit;
    this.blockedFrames.dataBlockedSent++;
  }

  /** A lost DATA_BLOCKED is resent only while data still waits at that same limit (RFC 9000 §13.3). */
  #onDataBlockedLost(limit: number): void {
    const credit = this.#connSend;
    credit.onBlockedLost(limit);
    if (!credit.shouldSendBlocked()) return;
    for (const e of this.#streams.values()) {
      if (e.send?.hasUnsentData && e.send.credit.available > 0) {
        this.#dataBlockedPending = true;
        return;
      }
    }
  }

  #onStreamsBlockedLost(direction: StreamDirection, limit: number): void {
    this.limits.onStreamsBlockedLost(direction, limit);
    const again = this.limits.streamsBlocked(direction);
    if (again !== undefined) this.#streamsBlocked[direction] = again;
  }

  /** A lost STREAM_DATA_BLOCKED is resent only while the stream is still blocked at that limit. */
  #onStreamDataBlockedLost(lost: SentStreamLimit): void {
    const e = this.#streams.get(lost.id);
    const send = e?.send;
    if (e === undefined || send === undefined) return;
    send.credit.onBlockedLost(lost.limit);
    const limit = send.takeBlocked();
    if (limit === undefined) return;
    e.dataBlocked = limit;
    this.#schedule(e.id);
  }

  #signalWritable(entry: StreamEntry): void {
    if (entry.writeBlocked && entry.send !== undefined && entry.send.writable > 0) {
      entry.writeBlocked = false;
      this.#events.push({ type: "stream-writable", id: entry.id });
    }
  }

  /** Forgets a stream once both halves are closed; a peer stream's slot returns through MAX_STREAMS. */
  #maybeRemove(entry: StreamEntry): void {
    if (entry.send !== undefined && !entry.send.isClosed) return;
    if (entry.recv !== undefined && !entry.recv.isClosed) return;
    this.#streams.delete(entry.id);
    this.#stalled.delete(entry.id);
    if (this.#inSendOrder.delete(entry.id)) this.#sendOrder = this.#sendOrder.filter((x) => x !== entry.id);
    if (!isLocalStream(entry.id, this.#side)) {
      const direction = streamDirection(entry.id);
      this.limits.onRemoteStreamClosed(direction);
      if (this.limits.maxStreamsUpdate(direction) !== undefined) this.#maxStreamsPending[direction] = true;
    }
  }
}

function append<T>(list: T[] | undefined, item: T): T[] {
  if (list === undefined) return [item];
  list.push(item);
  return list;
}
