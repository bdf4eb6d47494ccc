/**
 * Request and response bodies for the demo service: a request body read
 * under a size limit (checked against `content-length` first, then while
 * streaming, so a client lying about the length or sending without one is
 * still cut off), JSON parsing that answers 400 instead of throwing a
 * `SyntaxError` through the router, and JSON responses.
 *
 * @example
 * ```ts
 * import { jsonResponse, readBody } from "./body.js";
 * const handler = async (request: Request) => jsonResponse(200, { bytes: (await readBody(request, 1024)).length });
 * ```
 * @module
 */
import { BadRequestError, PayloadTooLargeError } from "./http-errors.js";

/** Reads the whole request body; rejects with {@link PayloadTooLargeError} past `limit` bytes. */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw new PayloadTooLargeError(limit);
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      // Cancel the rest: the upload stops now rather than after the response. Http3Server turns the
      // cancel into STOP_SENDING with H3_NO_ERROR and still sends the 413 whole (RFC 9114 §4.1.1).
      await reader.cancel(new PayloadTooLargeError(limit)).catch(() => undefined);
      throw new PayloadTooLargeError(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Reads and parses a JSON body; a body that is not UTF-8 JSON is a {@link BadRequestError} (`DEMO_BAD_JSON`). */
export async function readJson(request: Request, limit: number): Promise<unknown> {
  const bytes = await readBody(request, limit);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new BadRequestError("DEMO_BAD_JSON", `the body is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** A JSON response with `status`. */
export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...headers } });
}
