/**
 * `Http3Client`: HTTP/3 (RFC 9114) requests with fetch semantics:
 * `client.fetch(input, init)` takes what the global `fetch` takes and
 * resolves with a Fetch `Response` once the final response's header section
 * arrived (interim 1xx responses are skipped); its body is a web stream read
 * from QUIC only as fast as it is consumed. One connection per origin is
 * reused for every request to it (a new one is made after GOAWAY or a
 * close).
 *
 * - Request bodies: strings, bytes, `Blob`s, form data are sent with a
 *   content-length; a `ReadableStream` (with `duplex: "half"`) is streamed,
 *   each write waiting for QUIC flow control;
 * - `init.signal` cancels the request at any point (RESET_STREAM and
 *   STOP_SENDING with H3_REQUEST_CANCELLED); `fetch` and the body reject
 *   with the signal's reason, as the global `fetch` does;
 * - errors are typed: `Http3RequestRejectedError` (the server did not process
 *   the request: H3_REQUEST_REJECTED or above its GOAWAY id; safe to retry),
 *   `Http3RequestResetError`, `Http3MessageError` (a malformed response),
 *   `Http3ConnectionClosedError`, `Http3ClosedError` (after `close()`), and
 *   the QUIC errors of `connect` (handshake, certificate).
 *
 * @example
 * ```ts
 * import { Http3Client } from "@zsync/quic";
 * declare const caPem: string;
 * await using client = new Http3Client({ ca: caPem });
 * const response = await client.fetch("https://localhost:4433/hello");
 * console.log(response.status, await response.text());
 * const upload = await client.fetch("https://localhost:4433/echo", { method: "POST", body: "ping" });
 * console.log(await upload.text());
 * ```
 * @module
 */
import { isIP } from "node:net";
import { Http3ClosedError, Http3ErrorCode, Http3MessageError } from "../h3/errors.js";
import type { Field } from "../h3/qpack/field.js";
import { connect, type QuicConnectOptions } from "./client.js";
import { QuicStreamStoppedError } from "./errors.js";
import { bodyStream, fieldsToHeaders, headersToFields, streamEndError, writeBody, writeData } from "./h3-body.js";
import type { Http3SettingsOptions } from "./h3-server.js";
import { Http3Session, MessageChannel } from "./h3-session.js";

/** Options of an {@link Http3Client}: `connect`'s (ALPN is `h3`; the server name is the URL's host), and the HTTP/3 settings. */
export interface Http3ClientOptions extends Omit<QuicConnectOptions, "alpn" | "serverName" | "signal">, Http3SettingsOptions {}

/** Request bodies that are sent whole, with a content-length. */
function isBufferedBody(body: unknown): boolean {
  return (
    typeof body === "string" ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof URLSearchParams ||
    body instanceof FormData
  );
}

/** See the module comment. */
export class Http3Client implements AsyncDisposable {
  readonly #options: Http3ClientOptions;
  readonly #sessions = new Map<string, Promise<Http3Session>>();
  #closed = false;
  /** Aborts handshakes still under way when the client closes. */
  readonly #closing = new AbortController();

  constructor(options: Http3ClientOptions = {}) {
    this.#options = options;
  }

  /** Sends a request; see the module comment. */
  async fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    if (this.#closed) throw new Http3ClosedError("the client is closed");
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.protocol !== "https:") throw new TypeError(`fetch: ${url.protocol} URLs are not HTTP/3 (https: only)`);
    const signal = request.signal;
    signal.throwIfAborted();
    let content: Uint8Array | undefined;
    let streamed: ReadableStream<Uint8Array> | null = null;
    if (request.body !== null) {
      if (isBufferedBody(init?.body)) content = new Uint8Array(await request.arrayBuffer());
      else streamed = request.body;
    }
    // The connection is shared: an abort stops this request's wait for it, not the handshake others may wait for.
    const session = await untilAborted(this.#session(url), signal);
    const stream = await session.conn.openBidirectionalStream({ signal });
    const channel = new MessageChannel(session, stream);
    session.track(channel);
    const fields: Field[] = [
      { name: ":method", value: request.method },
      { name: ":scheme", value: "https" },
      { name: ":authority", value: url.host },
      { name: ":path", value: `${url.pathname}${url.search}` },
    ];
    headersToFields(request.headers, fields);
    if (content !== undefined && !request.headers.has("content-length"))
      fields.push({ name: "content-length", value: String(content.length) });

    let sent = false;
    let received = false;
    const settle = (): void => {
      if (sent && received) session.release(stream.id);
    };
    const cancel = (): void => {
      session.core.cancelStream(stream.id, Http3ErrorCode.H3_REQUEST_CANCELLED);
      session.flush();
      channel.fail(signal.reason as Error);
      sent = true;
      received = true;
      settle();
    };
    signal.addEventListener("abort", cancel, { once: true });
    const done = (): void => signal.removeEventListener("abort", cancel);

    try {
      const frame = session.core.sendRequestHeaders(stream.id, fields);
      session.flush();
      await stream.write(frame);
    } catch (error) {
      done();
      session.core.cancelStream(stream.id);
      session.flush();
      session.release(stream.id);
      throw error;
    }
    // The request's content goes out while the response is awaited (a server may answer before it has it all).
    void (async () => {
      try {
        if (content !== undefined && content.length > 0) await writeData(stream, content);
        else if (streamed !== null) {
          // §4.1.1: a server may stop reading the request (STOP_SENDING) and answer anyway: stop uploading at once,
          // even while the body's source has nothing to give (no write would see the STOP_SENDING then).
          const stopped = new AbortController();
          stream.finished().catch((error: unknown) => {
            if (error instanceof QuicStreamStoppedError) stopped.abort(error);
          });
          await writeBody(stream, streamed, AbortSignal.any([signal, stopped.signal]));
        }
        stream.end();
      } catch (error) {
        // STOP_SENDING with H3_NO_ERROR: the server answered without needing the rest (§4.1.1).
        if (!(error instanceof QuicStreamStoppedError) && !signal.aborted) {
          session.core.cancelStream(stream.id, Http3ErrorCode.H3_REQUEST_CANCELLED);
          session.flush();
          channel.fail(error as Error);
        }
      } finally {
        sent = true;
        settle();
      }
    })();

    try {
      for (;;) {
        const event = await channel.next();
        if (event.type === "response") {
          if (event.interim) continue;
          const { status } = event.head;
          if (status > 599) throw new Http3MessageError(`:status ${status} is outside what a Fetch Response holds (200-599)`, stream.id);
          const noContent = request.method === "HEAD" || status === 204 || status === 205 || status === 304;
          const body = bodyStream(
            channel,
            () => {
              received = true;
              done();
              settle();
            },
            () => {
              if (!signal.aborted) {
                session.core.cancelStream(stream.id, Http3ErrorCode.H3_REQUEST_CANCELLED);
                session.flush();
              }
            },
          );
          if (noContent) {
            // Still read to the end, so the stream completes (and the connection counts it done).
            void body.pipeTo(new WritableStream()).catch(() => undefined);
          }
          const response = new Response(noContent ? null : body, { status, headers: fieldsToHeaders(event.head.fields) });
          Object.defineProperty(response, "url", { value: request.url });
          return response;
        }
        if (event.type === "stream-reset" || event.type === "stream-error") {
          throw streamEndError(event);
        }
      }
    } catch (error) {
      done();
      received = true;
      if (!signal.aborted) {
        session.core.cancelStream(stream.id, Http3ErrorCode.H3_REQUEST_CANCELLED);
        session.flush();
      }
      settle();
      throw signal.aborted ? signal.reason : error;
    }
  }

  /**
   * Closes every connection: GOAWAY, then CONNECTION_CLOSE with H3_NO_ERROR
   * once requests in flight are done (a body nobody reads keeps its request
   * in flight, as in undici). Resolves once each CONNECTION_CLOSE was handed
   * to its socket: the QUIC closing period (three PTOs, RFC 9000 §10.2), in
   * which a late packet from the server is answered with the close again,
   * runs on in the background, and each connection's socket closes at its
   * end. Idempotent.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort(new Http3ClosedError("the client closed"));
    const sessions = await Promise.allSettled([...this.#sessions.values()]);
    this.#sessions.clear();
    await Promise.all(
      sessions.map(async (result) => {
        if (result.status !== "fulfilled") return;
        const session = result.value;
        session.core.shutdown();
        session.flush();
        await session.idle();
        // Not awaited: it resolves only after the closing period, about 3 PTOs (seconds on a path with a variable
        // RTT), which is the transport's to keep, not the caller's to wait out.
        session.conn.close(Http3ErrorCode.H3_NO_ERROR, "client closing").catch(() => undefined);
      }),
    );
    // The driver sends the CONNECTION_CLOSE on its next turn (a setImmediate queued by close()): let it run first.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #session(url: URL): Promise<Http3Session> {
    const origin = url.origin;
    const existing = this.#sessions.get(origin);
    if (existing !== undefined) {
      const session = await existing.catch(() => undefined);
      if (session?.usable) return session;
      if (this.#sessions.get(origin) === existing) this.#sessions.delete(origin);
    }
    const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === "" ? 443 : Number(url.port);
    const { qpackMaxTableCapacity, qpackBlockedStreams, maxFieldSectionSize, ...quic } = this.#options;
    const made = (async () => {
      const conn = await connect(hostname, port, {
        ...quic,
        alpn: "h3",
        signal: this.#closing.signal,
        ...(isIP(hostname) === 0 ? { serverName: hostname } : {}),
      });
      const session = new Http3Session(conn, { role: "client", qpackMaxTableCapacity, qpackBlockedStreams, maxFieldSectionSize });
      // GOAWAY (§5.2): no new request goes out on this connection; once those in flight are done, we close it.
      session.onGoaway = () => {
        if (this.#sessions.get(origin) === made) this.#sessions.delete(origin);
        void session
          .idle()
          .then(() => session.conn.close(Http3ErrorCode.H3_NO_ERROR, "GOAWAY received"))
          .catch(() => undefined);
      };
      void session.closed.then(() => {
        if (this.#sessions.get(origin) === made) this.#sessions.delete(origin);
      });
      return session;
    })();
    this.#sessions.set(origin, made);
    made.catch(() => {
      if (this.#sessions.get(origin) === made) this.#sessions.delete(origin);
    });
    return made;
  }
}

/** `promise`, or the signal's reason once it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
