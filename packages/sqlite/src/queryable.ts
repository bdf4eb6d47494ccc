/**
 * The statement methods shared by {@link AsyncDatabase} and
 * {@link Transaction}: `query`, `get`, `all`, `run`, `exec` and
 * `queryWithTimeout`. Arguments are checked here, on the calling thread, and
 * a bad argument rejects the returned promise with a `TypeError` naming it.
 *
 * @example
 * ```ts
 * import type { AsyncDatabase } from "@zsync/sqlite";
 * declare const db: AsyncDatabase;
 * const { rows, changes } = await db.query("UPDATE t SET n = n + 1 WHERE id = ? RETURNING n", [1]);
 * const row = await db.get("SELECT * FROM t WHERE id = :id", { id: 1 });
 * ```
 * @module
 */
import type { CallOptions } from "./options.js";
import { checkCallOptions } from "./options.js";
import { DECODE_ALL, DECODE_GET, DECODE_NONE, DECODE_QUERY, DECODE_RUN, type Decode, Request, type RequestOwner } from "./request.js";
import type { QueryResult, RunResult } from "./results.js";
import { checkParams, checkSql, type IntegerMode, type Params, type Row } from "./values.js";
import { FLAG_BIGINT, FLAG_INTERRUPTIBLE, OP_ALL, OP_EXEC, OP_GET, OP_QUERY, OP_RUN, type Op } from "./worker/protocol.js";

export abstract class Queryable {
  /** Routes a checked request; implemented by the database and by transactions. */
  protected abstract enqueue(request: Request, options: CallOptions | undefined): void;
  /** Who counts this object's outstanding requests. */
  protected abstract get requestOwner(): RequestOwner;
  /** Default integer mode. */
  protected abstract get integerMode(): IntegerMode;

  /**
   * Runs one statement and returns its rows (empty for statements that
   * return none) with the write counts.
   */
  query<R extends object = Row>(sql: string, params?: Params, options?: CallOptions): Promise<QueryResult<R>> {
    return this.#call(OP_QUERY, DECODE_QUERY, sql, params, options) as Promise<QueryResult<R>>;
  }

  /** {@link query} that rejects with `TimeoutError` and stops the statement after `ms` milliseconds. */
  queryWithTimeout<R extends object = Row>(
    sql: string,
    params: Params | undefined,
    ms: number,
    options?: Omit<CallOptions, "timeoutMs">,
  ): Promise<QueryResult<R>> {
    return this.query<R>(sql, params, { ...options, timeoutMs: ms });
  }

  /** The first row, or `undefined` when there is none. */
  get<R extends object = Row>(sql: string, params?: Params, options?: CallOptions): Promise<R | undefined> {
    return this.#call(OP_GET, DECODE_GET, sql, params, options) as Promise<R | undefined>;
  }

  /** Every row. For very large results prefer `iterate()`. */
  all<R extends object = Row>(sql: string, params?: Params, options?: CallOptions): Promise<R[]> {
    return this.#call(OP_ALL, DECODE_ALL, sql, params, options) as Promise<R[]>;
  }

  /** Runs a statement for its effect; resolves with the write counts. */
  run(sql: string, params?: Params, options?: CallOptions): Promise<RunResult> {
    return this.#call(OP_RUN, DECODE_RUN, sql, params, options) as Promise<RunResult>;
  }

  /** Runs a script of one or more statements without parameters (schema setup, migrations). Always on the writer. */
  exec(sql: string, options?: CallOptions): Promise<void> {
    return this.#call(OP_EXEC, DECODE_NONE, sql, undefined, options) as Promise<void>;
  }

  /** Request flags for `options`. */
  protected flagsFor(options: CallOptions | undefined): number {
    let flags = (options?.integers ?? this.integerMode) === "bigint" ? FLAG_BIGINT : 0;
    if (options !== undefined && (options.signal !== undefined || options.timeoutMs !== undefined || options.runTimeoutMs !== undefined)) {
      flags |= FLAG_INTERRUPTIBLE;
    }
    return flags;
  }

  #call(op: Op, decode: Decode, sql: string, params: Params | undefined, options: CallOptions | undefined): Promise<unknown> {
    try {
      checkSql(sql);
      checkParams(params);
      checkCallOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const request = new Request(op, sql, params, this.flagsFor(options), decode, this.requestOwner);
    if (op === OP_EXEC) request.write = true;
    this.enqueue(request, options);
    return request.promise;
  }
}
