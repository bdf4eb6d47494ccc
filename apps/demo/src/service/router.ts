/**
 * Method-and-path routing for the demo service, with the failure mapping
 * that keeps a bad request a response and never a crash: an unknown path
 * is a 404, a known path with the wrong method a 405 with `allow`, an
 * {@link HttpError} its own status and code, and anything else a 500
 * (`DEMO_INTERNAL`, the message only, no stack). Patterns are literal
 * segments and `:name` parameters (`/notes/:id`), matched exactly.
 *
 * @example
 * ```ts
 * import { Router } from "./router.js";
 * const router = new Router().on("GET", "/notes/:id", (_request, params) => new Response(params.id));
 * const response = await router.handle(new Request("https://localhost/notes/7"));
 * ```
 * @module
 */
import { jsonResponse } from "./body.js";
import { HttpError, MethodNotAllowedError, NotFoundError } from "./http-errors.js";

/** The `:name` segments a pattern matched, decoded. */
export type RouteParams = Readonly<Record<string, string>>;

/** Answers one request. */
export type Handler = (request: Request, params: RouteParams) => Response | Promise<Response>;

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: Handler;
}

/** Routes requests by method and path. */
export class Router {
  readonly #routes: Route[] = [];

  /** Adds a route; `pattern` is a path of literal segments and `:name` parameters. */
  on(method: string, pattern: string, handler: Handler): this {
    if (!pattern.startsWith("/")) throw new TypeError(`pattern must start with "/": ${pattern}`);
    this.#routes.push({ method: method.toUpperCase(), segments: pattern.split("/").slice(1), handler });
    return this;
  }

  /** Answers `request`; never rejects (every failure becomes an error response). */
  async handle(request: Request): Promise<Response> {
    try {
      const path = new URL(request.url).pathname;
      const segments = path.split("/").slice(1);
      const allow: string[] = [];
      for (const route of this.#routes) {
        const params = match(route.segments, segments);
        if (params === undefined) continue;
        if (route.method === request.method) return await route.handler(request, params);
        allow.push(route.method);
      }
      if (allow.length > 0) throw new MethodNotAllowedError(request.method, path, allow);
      throw new NotFoundError("DEMO_NO_ROUTE", `no route for ${path}`);
    } catch (error) {
      return errorResponse(error);
    }
  }
}

/** The JSON error response for `error` (a 500 for anything that is not an {@link HttpError}). */
export function errorResponse(error: unknown): Response {
  if (error instanceof HttpError) {
    const headers: Record<string, string> = error instanceof MethodNotAllowedError ? { allow: error.allow.join(", ") } : {};
    return jsonResponse(error.status, { error: { code: error.code, message: error.message } }, headers);
  }
  const message = error instanceof Error ? error.message : String(error);
  return jsonResponse(500, { error: { code: "DEMO_INTERNAL", message } });
}

function match(pattern: readonly string[], path: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = path[i]!;
    if (want.startsWith(":")) {
      if (got === "") return undefined;
      try {
        params[want.slice(1)] = decodeURIComponent(got);
      } catch {
        return undefined;
      }
    } else if (want !== got) return undefined;
  }
  return params;
}
