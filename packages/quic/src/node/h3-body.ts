/**
 * Bodies between web streams and HTTP/3 request streams (internal): a
 * `ReadableStream` pulled from a {@link MessageChannel} (high-water mark 0,
 * so nothing is read from QUIC before the consumer asks: back-pressure), and
 * the writer that frames a web stream's chunks as DATA frames, awaiting each
 * QUIC write (which waits for flow-control credit).
 *
 * @internal
 * @module
 */
import { encodeDataFrameHeader } from "../h3/connection.js";
import { Http3ErrorCode, Http3RequestRejectedError } from "../h3/errors.js";
import type { Field } from "../h3/qpack/field.js";
import { type MessageChannel, resetError } from "./h3-session.js";
import type { QuicStream } from "./stream.js";

/** Chunks up to this size are copied behind their DATA frame header and written once; larger ones take two writes. */
const COALESCE = 16 * 1024;

/** Fields of a message's regular headers from a `Headers` (names are lowercase already; connection-specific ones dropped, RFC 9114 §4.2). */
export function headersToFields(headers: Headers, out: Field[]): Field[] {
  for (const [name, value] of headers) {
    if (
      name === "connection" ||
      name === "keep-alive" ||
      name === "proxy-connection" ||
      name === "transfer-encoding" ||
      name === "upgrade"
    ) {
      continue;
    }
    if (name === "te" && value !== "trailers") continue;
    if (name === "host") continue; // :authority carries it
    out.push({ name, value });
  }
  return out;
}

/** A `Headers` from decoded regular fields. */
export function fieldsToHeaders(fields: readonly Field[]): Headers {
  const headers = new Headers();
  for (const { name, value } of fields) headers.append(name, value);
  return headers;
}

/** What ended a body stream, as the consumer sees it. */
export function streamEndError(event: { type: "stream-reset"; errorCode: number } | { type: "stream-error"; error: Error }): Error {
  if (event.type === "stream-error") return event.error;
  if (event.errorCode === Http3ErrorCode.H3_REQUEST_REJECTED)
    return new Http3RequestRejectedError("the peer rejected the request (H3_REQUEST_REJECTED)");
  return resetError(event.errorCode);
}

/**
 * The content of a message as a web stream. `onDone(complete)` runs once:
 * after the end (true), an error or a cancel (false). `onCancel` runs when the
 * consumer cancels.
 */
export function bodyStream(
  channel: MessageChannel,
  onDone: (complete: boolean) => void,
  onCancel: (reason: unknown) => void,
): ReadableStream<Uint8Array> {
  let done = false;
  const finish = (complete: boolean): void => {
    if (done) return;
    done = true;
    onDone(complete);
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          let event: Awaited<ReturnType<MessageChannel["next"]>>;
          try {
            event = await channel.next();
          } catch (error) {
            finish(false);
            controller.error(error);
            return;
          }
          switch (event.type) {
            case "data":
              controller.enqueue(event.bytes);
              return;
            case "end":
              finish(true);
              controller.close();
              return;
            case "stream-reset":
            case "stream-error":
              finish(false);
              controller.error(streamEndError(event));
              return;
            default:
              // Trailers (not surfaced by the Fetch API), STOP_SENDING (the writer's business).
              continue;
          }
        }
      },
      cancel(reason) {
        onCancel(reason);
        finish(false);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Writes a web stream's chunks as DATA frames; resolves when all are written (not acknowledged). */
export async function writeBody(stream: QuicStream, body: ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const onAbort = (): void => void reader.cancel(signal?.reason).catch(() => undefined);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (!(value instanceof Uint8Array)) throw new TypeError("body: chunks must be Uint8Array");
      if (value.length === 0) continue;
      await writeData(stream, value);
    }
  } catch (error) {
    await reader.cancel(error).catch(() => undefined);
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
}

/** One DATA frame. */
export async function writeData(stream: QuicStream, bytes: Uint8Array): Promise<void> {
  const header = encodeDataFrameHeader(bytes.length);
  if (bytes.length <= COALESCE) {
    const frame = new Uint8Array(header.length + bytes.length);
    frame.set(header);
    frame.set(bytes, header.length);
    await stream.write(frame);
    return;
  }
  await stream.write(header);
  await stream.write(bytes);
}
