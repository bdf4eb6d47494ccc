/**
 * Streams a query's rows in batches over a connection reserved for the
 * stream. One batch is prefetched while the previous one is consumed and no
 * more, so memory stays bounded by two batches however large the result and
 * however slow the consumer (back-pressure: the worker does not step the
 * statement further until asked).
 *
 * @example
 * ```ts
 * import type { AsyncDatabase } from "@zsync/sqlite";
 * declare const db: AsyncDatabase;
 * for await (const row of db.iterate("SELECT * FROM events ORDER BY id", [], { batchSize: 500 })) {
 *   if (row.kind === "stop") break; // closes the statement, frees the connection
 * }
 * ```
 * @module
 */
import type { Connection } from "./connection.js";
import type { CallOptions } from "./options.js";
import { DECODE_BATCH, DECODE_NONE, type Decode, Request, type RequestOwner } from "./request.js";
import type { RowBatch } from "./results.js";
import type { Params } from "./values.js";
import { OP_ITER_CLOSE, OP_ITER_NEXT, OP_ITER_OPEN, type Op } from "./worker/protocol.js";

/** What a stream needs from its database. @internal */
export interface StreamHost extends RequestOwner {
  reserveForStream(sql: string, signal: AbortSignal | undefined): Promise<{ connection: Connection; release: () => void }>;
  submitOnConnection(request: Request, options: CallOptions | undefined, connection: Connection): void;
  markWrite(sql: string): void;
}

export function streamRows<R extends object>(
  host: StreamHost,
  sql: string,
  params: Params | undefined,
  batchSize: number,
  flags: number,
  options: CallOptions | undefined,
): AsyncIterable<R> {
  return {
    [Symbol.asyncIterator]: () => rows<R>(host, sql, params, batchSize, flags, options),
  };
}

async function* rows<R extends object>(
  host: StreamHost,
  sql: string,
  params: Params | undefined,
  batchSize: number,
  flags: number,
  options: CallOptions | undefined,
): AsyncGenerator<R, void, undefined> {
  const send = (connection: Connection, op: Op, args: Params | undefined, decode: Decode = DECODE_BATCH): Promise<unknown> => {
    const request = new Request(op, sql, args, flags, decode, host);
    request.arg = batchSize;
    host.submitOnConnection(request, options, connection);
    return request.promise;
  };
  let reserved = await host.reserveForStream(sql, options?.signal);
  let finished = false;
  try {
    const opened = (await send(reserved.connection, OP_ITER_OPEN, params)) as RowBatch | undefined;
    let batch: RowBatch;
    if (opened !== undefined) batch = opened;
    else {
      // A reader found the statement writes: run it on the writer instead.
      reserved.release();
      host.markWrite(sql);
      reserved = await host.reserveForStream(sql, options?.signal);
      batch = (await send(reserved.connection, OP_ITER_OPEN, params)) as RowBatch;
    }
    for (;;) {
      const next: Promise<RowBatch> | null = batch.done ? null : (send(reserved.connection, OP_ITER_NEXT, undefined) as Promise<RowBatch>);
      // The prefetch is awaited below; until then a failure must not count as unhandled.
      next?.catch(() => {});
      for (const row of batch.rows) yield row as unknown as R;
      if (next === null) break;
      batch = await next;
    }
    finished = true;
  } finally {
    if (!finished && reserved.connection.alive) {
      // Left early (break, throw): close the statement before freeing the connection.
      await send(reserved.connection, OP_ITER_CLOSE, undefined, DECODE_NONE).catch(() => {});
    }
    reserved.release();
  }
}
