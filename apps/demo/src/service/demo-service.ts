/**
 * The demo's HTTP service: one `(Request) => Promise<Response>` function
 * over the four packages, independent of the transport that carries it (the
 * demo serves it over HTTP/3 with `Http3Server`; its tests also call it
 * directly). It owns a SQLite database in `directory` (notes and the
 * request log), a 2-thread `ThreadPoolIo` for the cipher's large bodies and
 * the request log's writer task; {@link DemoService.close} releases them in
 * that order's reverse.
 *
 * Routes: `GET /` (an index page), `POST /hash`, `POST /seal`, `POST /open`
 * (crypto-api.ts), `POST|GET /notes`, `GET|DELETE /notes/:id`
 * (notes-api.ts), `GET /slow?ms=` (runtime-api.ts) and `GET /stats` (the
 * request log's counts). Every request is answered; failures are JSON
 * error responses with a stable code (router.ts).
 *
 * @example
 * ```ts
 * import { DemoService } from "./demo-service.js";
 * await using service = await DemoService.open({ directory: "/tmp/zsync-demo" });
 * const response = await service.handle(new Request("https://localhost/notes", { method: "POST", body: '{"text":"hi"}' }));
 * ```
 * @module
 */
import { join } from "node:path";
import { AsyncCipher } from "@zsync/crypto";
import { ThreadPoolIo } from "@zsync/runtime/node";
import { AsyncDatabase } from "@zsync/sqlite";
import { jsonResponse } from "./body.js";
import { CryptoApi } from "./crypto-api.js";
import { NotesApi } from "./notes-api.js";
import { RequestLog } from "./request-log.js";
import { Router } from "./router.js";
import { RuntimeApi } from "./runtime-api.js";

/** Options of {@link DemoService.open}. */
export interface DemoServiceOptions {
  /** Directory for the service's database file (`demo-service.db`); the caller owns it. */
  readonly directory: string;
  /** Deadline of `GET /slow`, in milliseconds (default 250). */
  readonly deadlineMs?: number;
  /** Largest body `/hash`, `/seal` and `/open` accept (default 16 MiB). */
  readonly maxBodyBytes?: number;
}

const INDEX_HTML = `<!doctype html>
<meta charset="utf-8">
<title>zsync-ts demo service</title>
<h1>zsync-ts demo service</h1>
<ul>
<li>POST /hash?algorithm=sha256|sha384|sha512|blake2b|blake3: digest of the body (AsyncHasher)
<li>POST /seal, POST /open: XChaCha20-Poly1305 envelope of the body and back (AsyncCipher)
<li>POST /notes {"text": "..."}, GET /notes, GET /notes/:id, DELETE /notes/:id (AsyncDatabase)
<li>GET /slow?ms=N: N ms of work under the runtime's timeout()
<li>GET /stats: requests answered, by status (request log: runtime channel into SQLite)
</ul>
`;

/** The demo's routes and the resources behind them. */
export class DemoService implements AsyncDisposable {
  readonly #router: Router;
  readonly #db: AsyncDatabase;
  readonly #pool: ThreadPoolIo;
  readonly #log: RequestLog;
  #closed: Promise<void> | undefined;

  private constructor(router: Router, db: AsyncDatabase, pool: ThreadPoolIo, log: RequestLog) {
    this.#router = router;
    this.#db = db;
    this.#pool = pool;
    this.#log = log;
  }

  /** Opens the database and the thread pool and starts the request log. */
  static async open(options: DemoServiceOptions): Promise<DemoService> {
    const db = await AsyncDatabase.open(join(options.directory, "demo-service.db"));
    const pool = new ThreadPoolIo({ maxThreads: 2 });
    try {
      const log = await RequestLog.open(db);
      const router = new Router().on(
        "GET",
        "/",
        () => new Response(INDEX_HTML, { headers: { "content-type": "text/html; charset=utf-8" } }),
      );
      new CryptoApi(new AsyncCipher(AsyncCipher.generateKey(), { io: pool }), options.maxBodyBytes ?? 16 * 1024 * 1024).routes(router);
      (await NotesApi.create(db)).routes(router);
      new RuntimeApi(options.deadlineMs ?? 250).routes(router);
      router.on("GET", "/stats", async () => jsonResponse(200, { requests: await log.summary() }));
      return new DemoService(router, db, pool, log);
    } catch (error) {
      await pool.shutdown();
      await db.close();
      throw error;
    }
  }

  /** Answers one request and logs it; never rejects. */
  async handle(request: Request): Promise<Response> {
    const started = performance.now();
    const response = await this.#router.handle(request);
    const path = URL.canParse(request.url) ? new URL(request.url).pathname : request.url;
    // A log that failed or closed must not cost the client its answer; /stats reports the failure.
    await this.#log
      .record({ method: request.method, path, status: response.status, ms: performance.now() - started })
      .catch(() => undefined);
    return response;
  }

  /** Waits for the request log, then stops the pool and closes the database. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await this.#log.close();
      await this.#pool.shutdown();
      await this.#db.close();
    })();
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
