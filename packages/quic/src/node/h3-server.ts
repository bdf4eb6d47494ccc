/**
 * `Http3Server`: an HTTP/3 server (RFC 9114) with the Fetch API: a handler
 * gets a `Request` and returns a `Response`, whose bodies are web streams
 * read and written with back-pressure through QUIC flow control.
 *
 * - `request.signal` aborts when the client cancels (STOP_SENDING or
 *   RESET_STREAM on the request stream) or the connection ends;
 * - `close()` sends GOAWAY (§5.2), lets requests in flight finish (bounded by
 *   `timeout`), then closes each connection with H3_NO_ERROR; requests that
 *   arrive on streams above the GOAWAY id are refused with
 *   H3_REQUEST_REJECTED, which a client may retry elsewhere;
 * - a handler that throws gets a 500 (or, once the response started, its
 *   stream is reset with H3_INTERNAL_ERROR); `onError` sees the error;
 * - malformed requests never reach the handler: the stream is reset with
 *   H3_MESSAGE_ERROR (§4.1.2).
 *
 * @example
 * ```ts
 * import { Http3Server } from "@zsync/quic";
 * declare const certificate: string, key: string;
 * await using server = await Http3Server.bind({
 *   port: 4433,
 *   certificate,
 *   key,
 *   handler: async (request) => {
 *     if (request.method === "POST") return new Response(request.body, { headers: { "content-type": "application/octet-stream" } });
 *     return new Response(`hello ${new URL(request.url).pathname}\n`);
 *   },
 * });
 * ```
 * @module
 */
import { Http3ErrorCode } from "../h3/errors.js";
import type { Field } from "../h3/qpack/field.js";
import type { QuicConnection } from "./connection.js";
import { QuicStreamStoppedError } from "./errors.js";
import { bodyStream, fieldsToHeaders, headersToFields, writeBody } from "./h3-body.js";
import { Http3Session, type MessageChannel } from "./h3-session.js";
import { QuicServer, type QuicServerOptions } from "./server.js";

/** What a handler is told besides the request. */
export interface Http3RequestInfo {
  /** The client's address. */
  readonly remoteAddress: { readonly address: string; readonly port: number };
  /** The QUIC stream carrying the request. */
  readonly streamId: number;
  /** The request arrived as 0-RTT data and may be a replay (RFC 9001 §9.2, RFC 8470): serve only idempotent requests from it. */
  readonly earlyData: boolean;
}

/** Answers one request. */
export type Http3Handler = (request: Request, info: Http3RequestInfo) => Response | Promise<Response>;

/** HTTP/3 settings shared by the server and the client. */
export interface Http3SettingsOptions {
  /** SETTINGS_QPACK_MAX_TABLE_CAPACITY we offer, and the most our encoder uses (default 4096; 0: no dynamic table). */
  readonly qpackMaxTableCapacity?: number;
  /** SETTINGS_QPACK_BLOCKED_STREAMS (default 16). */
  readonly qpackBlockedStreams?: number;
  /** SETTINGS_MAX_FIELD_SECTION_SIZE: the largest header section accepted (default 65536). */
  readonly maxFieldSectionSize?: number;
}

/** Options of {@link Http3Server.bind}: `QuicServer.bind`'s (ALPN is `h3`), the handler, and the HTTP/3 settings. */
export interface Http3ServerOptions extends Omit<QuicServerOptions, "alpn">, Http3SettingsOptions {
  readonly handler: Http3Handler;
  /** Sees every error a handler threw or rejected with (default: ignored; the client gets a 500 or a reset). */
  readonly onError?: (error: unknown) => void;
}

/** Options of {@link Http3Server.close}. */
export interface Http3CloseOptions {
  /** Milliseconds requests in flight may take to finish after GOAWAY before connections are closed anyway (default 10,000). */
  readonly timeout?: number;
}

/** Counters of a server. */
export interface Http3ServerStats {
  /** Connections served. */
  readonly connections: number;
  /** Requests handed to the handler. */
  readonly requests: number;
  /** Request streams reset because the request was malformed. */
  readonly malformed: number;
}

const NO_CONTENT = new Set([204, 205, 304]);

/** See the module comment. */
export class Http3Server implements AsyncDisposable {
  readonly #quic: QuicServer;
  readonly #options: Http3ServerOptions;
  readonly #sessions = new Set<Http3Session>();
  #closing: Promise<void> | undefined;
  #connections = 0;
  #requests = 0;
  #malformed = 0;

  /** Binds the UDP socket and starts serving. */
  static async bind(options: Http3ServerOptions): Promise<Http3Server> {
    if (typeof options.handler !== "function") throw new TypeError("handler: not a function");
    const { handler: _h, onError: _e, qpackMaxTableCapacity: _c, qpackBlockedStreams: _b, maxFieldSectionSize: _m, ...quic } = options;
    const server = new Http3Server(await QuicServer.bind({ ...quic, alpn: "h3" }), options);
    void server.#acceptLoop();
    return server;
  }

  private constructor(quic: QuicServer, options: Http3ServerOptions) {
    this.#quic = quic;
    this.#options = options;
  }

  /** The bound address. */
  get address(): { readonly address: string; readonly port: number; readonly family: string } {
    return this.#quic.address;
  }

  /** The bound port. */
  get port(): number {
    return this.#quic.port;
  }

  /** Counters. */
  get stats(): Http3ServerStats {
    return { connections: this.#connections, requests: this.#requests, malformed: this.#malformed };
  }

  /** Graceful shutdown: see the module comment. Idempotent. */
  close(options: Http3CloseOptions = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeout ?? 10_000);
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(timeout: number): Promise<void> {
    for (const session of this.#sessions) {
      session.core.shutdown();
      session.flush();
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeout);
    });
    await Promise.race([Promise.all([...this.#sessions].map((s) => s.idle())), expired]);
    clearTimeout(timer);
    // Let the last responses' bytes be acknowledged before closing.
    await Promise.race([
      Promise.all([...this.#sessions].map((s) => s.conn.flush().catch(() => undefined))),
      new Promise((r) => setTimeout(r, 1000)),
    ]);
    await this.#quic.close(Http3ErrorCode.H3_NO_ERROR, "server closing");
  }

  async #acceptLoop(): Promise<void> {
    try {
      for await (const conn of this.#quic) this.#serve(conn);
    } catch {
      // closed
    }
  }

  #serve(conn: QuicConnection): void {
    this.#connections++;
    const session = new Http3Session(conn, {
      role: "server",
      qpackMaxTableCapacity: this.#options.qpackMaxTableCapacity,
      qpackBlockedStreams: this.#options.qpackBlockedStreams,
      maxFieldSectionSize: this.#options.maxFieldSectionSize,
    });
    this.#sessions.add(session);
    void session.closed.then(() => this.#sessions.delete(session));
    if (this.#closing !== undefined) {
      // Arrived while we shut down: GOAWAY at once, so it is refused everything.
      session.core.shutdown();
      session.flush();
    }
    session.onRequestStream = (channel) => void this.#request(session, channel);
  }

  async #request(session: Http3Session, channel: MessageChannel): Promise<void> {
    const { stream } = channel;
    const id = stream.id;
    const abort = new AbortController();
    let first: Awaited<ReturnType<MessageChannel["next"]>>;
    try {
      first = await channel.next();
    } catch {
      session.release(id);
      return;
    }
    if (first.type !== "request") {
      if (first.type === "stream-error") this.#malformed++;
      // No response will come: end our side too, so QUIC can forget the stream (and return its MAX_STREAMS credit).
      stream.reset(Http3ErrorCode.H3_REQUEST_CANCELLED);
      session.release(id);
      return;
    }
    const head = first.head;
    // The client cancelling (STOP_SENDING on our side) or the connection ending aborts request.signal.
    stream.finished().catch((error: unknown) => abort.abort(error));
    let bodyDone = head.method === "GET" || head.method === "HEAD";
    let bodyCancelled = false;
    const body =
      head.method === "GET" || head.method === "HEAD"
        ? null
        : bodyStream(
            channel,
            (complete) => {
              bodyDone = true;
              // The handler cancelling the body is its choice (it answers without the rest), not the request ending.
              if (!complete && !bodyCancelled) abort.abort(new Error("request body ended abnormally"));
            },
            () => {
              // §4.1.1: stop only the receiving side (STOP_SENDING, H3_NO_ERROR); the handler's response still goes out whole.
              bodyCancelled = true;
              session.core.stopReading(id, Http3ErrorCode.H3_NO_ERROR);
              session.flush();
            },
          );
    let request: Request;
    try {
      if (head.method === "CONNECT") throw new TypeError("CONNECT is not supported");
      const url = `${head.scheme}://${head.authority ?? "localhost"}${head.path}`;
      request = new Request(url, {
        method: head.method,
        headers: fieldsToHeaders(head.fields),
        body,
        signal: abort.signal,
        ...(body === null ? {} : { duplex: "half" }),
      } as RequestInit);
    } catch {
      await this.#respond(
        session,
        channel,
        head.method,
        new Response(null, { status: head.method === "CONNECT" ? 501 : 400 }),
        abort.signal,
      );
      this.#finishRequest(session, channel, bodyDone);
      return;
    }
    this.#requests++;
    const info: Http3RequestInfo = { remoteAddress: session.conn.remoteAddress, streamId: id, earlyData: stream.receivedInEarlyData };
    let response: Response;
    try {
      response = await this.#options.handler(request, info);
      if (!(response instanceof Response)) throw new TypeError("the handler did not return a Response");
    } catch (error) {
      this.#options.onError?.(error);
      response = new Response(null, { status: 500 });
    }
    await this.#respond(session, channel, head.method, response, abort.signal);
    this.#finishRequest(session, channel, bodyDone);
  }

  async #respond(session: Http3Session, channel: MessageChannel, method: string, response: Response, signal: AbortSignal): Promise<void> {
    const { stream } = channel;
    let headersSent = false;
    try {
      const fields: Field[] = [{ name: ":status", value: String(response.status) }];
      headersToFields(response.headers, fields);
      const frame = session.core.sendResponseHeaders(stream.id, fields);
      session.flush();
      await stream.write(frame);
      headersSent = true;
      if (response.body !== null && method !== "HEAD" && !NO_CONTENT.has(response.status)) await writeBody(stream, response.body, signal);
      else if (response.body !== null) await response.body.cancel().catch(() => undefined);
      stream.end();
    } catch (error) {
      if (!(error instanceof QuicStreamStoppedError) && session.closedError() === undefined) this.#options.onError?.(error);
      stream.reset(headersSent ? Http3ErrorCode.H3_INTERNAL_ERROR : Http3ErrorCode.H3_REQUEST_CANCELLED);
    }
  }

  #finishRequest(session: Http3Session, channel: MessageChannel, bodyDone: boolean): void {
    // §4.1.1: a complete response may be sent before the request is; then we stop reading with H3_NO_ERROR.
    // A GET's FIN may not have been read yet: stopping is what frees the stream (and its MAX_STREAMS credit) then.
    if (!bodyDone || !channel.finRead) channel.stream.stopSending(Http3ErrorCode.H3_NO_ERROR);
    void channel.stream
      .finished()
      .catch(() => undefined)
      .finally(() => session.release(channel.stream.id));
  }
}
