/**
 * A route that shows the runtime's deadlines: `GET /slow?ms=N` stands for
 * a slow upstream call (N ms of waiting) run under `timeout()` with the
 * service's deadline. Within the deadline it answers 200 with the time
 * taken; past it the runtime cancels the work (the sleep ends early, its
 * task counts as cancelled) and the route answers 504 at the deadline, not
 * after N ms.
 *
 * @example
 * ```ts
 * import { RuntimeApi } from "./runtime-api.js";
 * import { Router } from "./router.js";
 * const router = new RuntimeApi(250).routes(new Router());
 * ```
 * @module
 */
import { sleep, TimeoutError, timeout } from "@zsync/runtime";
import { jsonResponse } from "./body.js";
import { BadRequestError, DeadlineExceededError } from "./http-errors.js";
import type { Router } from "./router.js";

/** Longest wait `GET /slow` accepts. */
const MAX_SLOW_MS = 60_000;

/** The runtime routes. */
export class RuntimeApi {
  readonly #deadlineMs: number;

  constructor(deadlineMs: number) {
    this.#deadlineMs = deadlineMs;
  }

  /** Adds the routes to `router`. */
  routes(router: Router): Router {
    return router.on("GET", "/slow", (request) => this.#slow(request));
  }

  async #slow(request: Request): Promise<Response> {
    const raw = new URL(request.url).searchParams.get("ms") ?? "";
    const ms = /^[0-9]{1,6}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(ms <= MAX_SLOW_MS)) throw new BadRequestError("DEMO_BAD_PARAMETER", `ms must be an integer from 0 to ${MAX_SLOW_MS}`);
    const started = performance.now();
    try {
      await timeout(() => sleep(ms), this.#deadlineMs);
    } catch (error) {
      if (error instanceof TimeoutError) throw new DeadlineExceededError(this.#deadlineMs, { cause: error });
      throw error;
    }
    return jsonResponse(200, { waitedMs: ms, elapsedMs: performance.now() - started, deadlineMs: this.#deadlineMs });
  }
}
