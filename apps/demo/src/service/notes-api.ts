/**
 * A small notes API on SQLite (`AsyncDatabase`, so every statement runs on
 * a worker thread and the event loop keeps serving other requests):
 * `POST /notes` with `{"text": "..."}` creates one (201, `location`),
 * `GET /notes` lists the newest 100, `GET /notes/:id` reads one and
 * `DELETE /notes/:id` removes it. Ids must be positive decimal integers;
 * anything else is a 400, never a query.
 *
 * @example
 * ```ts
 * import { AsyncDatabase } from "@zsync/sqlite";
 * import { NotesApi } from "./notes-api.js";
 * import { Router } from "./router.js";
 * const db = await AsyncDatabase.open(":memory:");
 * const notes = await NotesApi.create(db);
 * const router = notes.routes(new Router());
 * ```
 * @module
 */
import type { AsyncDatabase } from "@zsync/sqlite";
import { jsonResponse, readJson } from "./body.js";
import { BadRequestError, NotFoundError } from "./http-errors.js";
import type { RouteParams, Router } from "./router.js";

/** Longest note text accepted, in UTF-16 code units. */
export const MAX_NOTE_LENGTH = 4096;
/** Largest `POST /notes` body accepted. */
const MAX_NOTE_BODY = 64 * 1024;
/** How many notes `GET /notes` lists (newest first). */
const LIST_LIMIT = 100;

/** A stored note as the API returns it. */
export interface Note {
  readonly id: number;
  readonly text: string;
  /** Milliseconds since the epoch when it was stored. */
  readonly createdAt: number;
}

/** The notes routes over one database. */
export class NotesApi {
  readonly #db: AsyncDatabase;

  private constructor(db: AsyncDatabase) {
    this.#db = db;
  }

  /** Creates the table if needed. */
  static async create(db: AsyncDatabase): Promise<NotesApi> {
    await db.exec("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, created_at INTEGER NOT NULL)");
    return new NotesApi(db);
  }

  /** Adds the routes to `router`. */
  routes(router: Router): Router {
    return router
      .on("POST", "/notes", (request) => this.#create(request))
      .on("GET", "/notes", () => this.#list())
      .on("GET", "/notes/:id", (_request, params) => this.#get(params))
      .on("DELETE", "/notes/:id", (_request, params) => this.#delete(params));
  }

  async #create(request: Request): Promise<Response> {
    const body = await readJson(request, MAX_NOTE_BODY);
    const text = (body as { text?: unknown } | null)?.text;
    if (typeof text !== "string" || text.length === 0)
      throw new BadRequestError("DEMO_BAD_NOTE", 'the body must be a JSON object with a non-empty string "text"');
    if (text.length > MAX_NOTE_LENGTH) throw new BadRequestError("DEMO_BAD_NOTE", `"text" is longer than ${MAX_NOTE_LENGTH} characters`);
    const createdAt = Date.now();
    const { lastInsertRowid } = await this.#db.run("INSERT INTO notes (text, created_at) VALUES (?, ?)", [text, createdAt]);
    const note: Note = { id: Number(lastInsertRowid), text, createdAt };
    return jsonResponse(201, note, { location: `/notes/${note.id}` });
  }

  async #list(): Promise<Response> {
    const notes = await this.#db.all<Note>("SELECT id, text, created_at AS createdAt FROM notes ORDER BY id DESC LIMIT ?", [LIST_LIMIT]);
    const total = await this.#db.get<{ n: number }>("SELECT count(*) AS n FROM notes");
    return jsonResponse(200, { total: total?.n ?? 0, notes });
  }

  async #get(params: RouteParams): Promise<Response> {
    const id = noteId(params);
    const note = await this.#db.get<Note>("SELECT id, text, created_at AS createdAt FROM notes WHERE id = ?", [id]);
    if (note === undefined) throw new NotFoundError("DEMO_NO_NOTE", `no note ${id}`);
    return jsonResponse(200, note);
  }

  async #delete(params: RouteParams): Promise<Response> {
    const id = noteId(params);
    const { changes } = await this.#db.run("DELETE FROM notes WHERE id = ?", [id]);
    if (Number(changes) === 0) throw new NotFoundError("DEMO_NO_NOTE", `no note ${id}`);
    return new Response(null, { status: 204 });
  }
}

/** The `:id` parameter as a positive safe integer, or a 400. */
function noteId(params: RouteParams): number {
  const raw = params.id ?? "";
  const id = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw new BadRequestError("DEMO_BAD_ID", `note ids are positive integers, not ${JSON.stringify(raw)}`);
  return id;
}
