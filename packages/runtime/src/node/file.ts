/**
 * Async file I/O over node:fs with a cursor: `File.open`, `read`, `write`,
 * `close`, plus `for await` over the remaining contents.
 *
 * Operations on one `File` run one at a time in call order, so the cursor is
 * always consistent. Cancellation (a signal, or `timeoutMs` for reads): an
 * operation cancelled before it starts does nothing; a read cancelled while
 * the OS is reading rejects at once and leaves the cursor where it was (the
 * bytes are discarded); a write, once handed to the OS, runs to completion
 * and then reports the result, because a half-applied write cannot be undone.
 *
 * @example
 * ```ts
 * import { File } from "@zsync/runtime/node";
 * {
 *   await using file = await File.open("/tmp/log.txt", { flags: "w+" });
 *   await file.write(new TextEncoder().encode("hello\n"));
 *   file.seek(0);
 *   console.log(new TextDecoder().decode(await file.read(64)));
 * }
 * ```
 * @module
 */

import type { Stats } from "node:fs";
import { type FileHandle, open as fsOpen } from "node:fs/promises";
import { ResourceClosedError, toIoError } from "./errors.js";
import { PendingWait, type TimedWaitOptions, throwIfCancelled } from "./pending-wait.js";

export interface FileOpenOptions {
  /** `fs.open` flags (default `"r"`). */
  readonly flags?: string;
  /** Permission bits for a created file (default 0o666 before umask). */
  readonly mode?: number;
  readonly signal?: AbortSignal;
}

export interface FileReadOptions extends TimedWaitOptions {
  /** Read at this offset instead of the cursor (the cursor does not move). */
  readonly position?: number;
}

export interface FileWriteOptions {
  /** Write at this offset instead of the cursor (the cursor does not move). */
  readonly position?: number;
  /** Checked before the write starts; see the module notes. */
  readonly signal?: AbortSignal;
}

/** An open file with a cursor. */
export class File implements AsyncDisposable, AsyncIterable<Uint8Array> {
  readonly #handle: FileHandle;
  readonly path: string;
  #position = 0;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Opens `path`. Rejects with `FileNotFoundError`, `PermissionDeniedError` (other `IoError`s) or `CancelledError`. */
  static async open(path: string, options: FileOpenOptions = {}): Promise<File> {
    if (typeof path !== "string") throw new TypeError("File.open: path must be a string");
    throwIfCancelled(options);
    let handle: FileHandle;
    try {
      handle = await fsOpen(path, options.flags ?? "r", options.mode);
    } catch (error) {
      throw toIoError(error, `open ${path}`);
    }
    if (options.signal?.aborted) {
      await handle.close();
      throwIfCancelled(options);
    }
    const file = new File(handle, path);
    if ((options.flags ?? "r").startsWith("a")) file.#position = (await handle.stat()).size;
    return file;
  }

  private constructor(handle: FileHandle, path: string) {
    this.#handle = handle;
    this.path = path;
  }

  /** The cursor: where the next `read`/`write` without `position` happens. */
  get position(): number {
    return this.#position;
  }

  /** Moves the cursor. */
  seek(position: number): void {
    if (!Number.isSafeInteger(position) || position < 0)
      throw new RangeError(`File.seek: position must be a non-negative integer, got ${position}`);
    this.#position = position;
  }

  /**
   * Reads up to `length` bytes (or into `buffer`) and returns the bytes read:
   * empty at end of file. Advances the cursor unless `position` is given.
   */
  read(lengthOrBuffer: number | Uint8Array, options?: FileReadOptions): Promise<Uint8Array> {
    const buffer = typeof lengthOrBuffer === "number" ? allocate(lengthOrBuffer) : lengthOrBuffer;
    if (!(buffer instanceof Uint8Array)) throw new TypeError("File.read: expected a length or a Uint8Array");
    return this.#enqueue(options, async () => {
      const at = options?.position ?? this.#position;
      const wait = new PendingWait<Uint8Array>(options, () => {});
      this.#handle.read(buffer, 0, buffer.length, at).then(
        ({ bytesRead }) => {
          if (wait.done) return;
          if (options?.position === undefined) this.#position = at + bytesRead;
          wait.resolve(buffer.subarray(0, bytesRead));
        },
        (error: unknown) => wait.reject(toIoError(error, `read ${this.path}`)),
      );
      return wait.promise;
    });
  }

  /** Writes all of `data`; resolves with its length. Advances the cursor unless `position` is given. */
  write(data: Uint8Array | string, options?: FileWriteOptions): Promise<number> {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    if (!(bytes instanceof Uint8Array)) throw new TypeError("File.write: data must be a Uint8Array or string");
    return this.#enqueue(options, async () => {
      let at = options?.position ?? this.#position;
      let offset = 0;
      try {
        while (offset < bytes.length) {
          const { bytesWritten } = await this.#handle.write(bytes, offset, bytes.length - offset, at);
          offset += bytesWritten;
          at += bytesWritten;
        }
      } catch (error) {
        throw toIoError(error, `write ${this.path}`);
      }
      if (options?.position === undefined) this.#position = at;
      return bytes.length;
    });
  }

  /** Reads from the cursor to the end of the file. */
  async readAll(options?: TimedWaitOptions): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const chunk = await this.read(65536, options);
      if (chunk.length === 0) break;
      parts.push(chunk);
      total += chunk.length;
    }
    return Buffer.concat(parts, total);
  }

  stat(): Promise<Stats> {
    return this.#enqueue(undefined, () => this.#handle.stat());
  }

  /** Flushes written data to the storage device. */
  sync(): Promise<void> {
    return this.#enqueue(undefined, () => this.#handle.sync());
  }

  truncate(length = 0): Promise<void> {
    return this.#enqueue(undefined, () => this.#handle.truncate(length));
  }

  /** Closes the file after queued operations finish. Idempotent. */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#closed = true;
      this.#closing = this.#tail.then(
        () => this.#handle.close(),
        () => this.#handle.close(),
      );
    }
    return this.#closing;
  }

  /** Yields 64 KiB chunks from the cursor to the end of the file. */
  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = await this.read(65536);
      if (chunk.length === 0) return;
      yield chunk;
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #enqueue<R>(options: TimedWaitOptions | undefined, op: () => Promise<R>): Promise<R> {
    if (this.#closed) return Promise.reject(new ResourceClosedError(`file ${this.path} is closed`));
    const run = async (): Promise<R> => {
      throwIfCancelled(options);
      return op();
    };
    const result = this.#tail.then(run, run);
    this.#tail = result.catch(() => {});
    return result;
  }
}

function allocate(length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`File.read: length must be a non-negative integer, got ${length}`);
  return Buffer.allocUnsafe(length);
}
