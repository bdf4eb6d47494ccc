/**
 * The demo service's failures, one class per failure, each with the HTTP
 * status it answers with and a stable `code` a client can switch on. The
 * router turns any of them into a JSON error response
 * (`{ "error": { "code", "message" } }`); anything else a handler throws
 * becomes a 500 with code `DEMO_INTERNAL`, so a bad request never takes the
 * service down.
 *
 * @example
 * ```ts
 * import { BadRequestError } from "./http-errors.js";
 * throw new BadRequestError("DEMO_BAD_JSON", "the body is not JSON");
 * ```
 * @module
 */

/** A failure that maps to one HTTP status and one stable code. */
export abstract class HttpError extends Error {
  abstract readonly status: number;
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** 400: the request itself is wrong (bad JSON, bad parameter, a ciphertext that does not authenticate). */
export class BadRequestError extends HttpError {
  override readonly name = "BadRequestError";
  readonly status = 400;
}

/** 404: no such route or no such record. */
export class NotFoundError extends HttpError {
  override readonly name = "NotFoundError";
  readonly status = 404;
}

/** 405: the route exists but not for this method; `allow` lists the methods it takes. */
export class MethodNotAllowedError extends HttpError {
  override readonly name = "MethodNotAllowedError";
  readonly status = 405;
  readonly allow: readonly string[];

  constructor(method: string, path: string, allow: readonly string[]) {
    super("DEMO_METHOD_NOT_ALLOWED", `${method} is not allowed on ${path} (allowed: ${allow.join(", ")})`);
    this.allow = allow;
  }
}

/** 413: the body is larger than the route accepts. */
export class PayloadTooLargeError extends HttpError {
  override readonly name = "PayloadTooLargeError";
  readonly status = 413;

  constructor(limit: number) {
    super("DEMO_BODY_TOO_LARGE", `the body is larger than ${limit} bytes`);
  }
}

/** 504: the work did not finish within the route's deadline (the runtime cancelled it). */
export class DeadlineExceededError extends HttpError {
  override readonly name = "DeadlineExceededError";
  readonly status = 504;

  constructor(deadlineMs: number, options?: { cause?: unknown }) {
    super("DEMO_DEADLINE", `the work did not finish within ${deadlineMs} ms and was cancelled`, options);
  }
}
