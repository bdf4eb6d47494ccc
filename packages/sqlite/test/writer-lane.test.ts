// The writer lane's rules, against a scripted connection (no worker, no
// SQLite): what is sent when, the one first-come-first-served order of plain
// writes and leases, a lease waiting for the writes sent before it, giving up
// a place (abort, acquire timeout, withdrawal), shutdown, and the loss and
// replacement of the writer. Every step is driven by the test (answers,
// losses, a fake clock for timeouts), so nothing depends on timing. Prompted
// by the mutation run on src/writer-lane.ts (issue 14), whose survivors the
// database-level suites could not reach deterministically.
import { CancelledError, TimeoutError } from "@zsync/runtime";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Connection, LostHandler } from "../src/connection.js";
import { DECODE_RUN, Request, SENT } from "../src/request.js";
import { OP_RUN } from "../src/worker/protocol.js";
import { WriterLane, WriterLease } from "../src/writer-lane.js";

/** A writer connection whose opening, answers and loss the test scripts. */
class ScriptedConnection {
  alive = true;
  /** Posted and not answered, oldest first. */
  readonly inFlight: Request[] = [];
  /** Everything ever posted, by SQL text. */
  readonly posted: string[] = [];
  onDrained: (() => void) | null = null;
  readonly ready: Promise<void>;
  #open!: () => void;
  #fail!: (error: unknown) => void;

  constructor(readonly onLost: LostHandler) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.#open = resolve;
      this.#fail = reject;
    });
    this.ready.catch(() => {});
  }

  get load(): number {
    return this.inFlight.length;
  }

  send(request: Request): void {
    request.state = SENT;
    this.inFlight.push(request);
    this.posted.push(request.sql);
  }

  open(): void {
    this.#open();
  }

  /** Answers the oldest request in flight, as the worker would. */
  answer(): void {
    const request = this.inFlight.shift();
    request?.resolve(request.sql);
    if (this.inFlight.length === 0) this.onDrained?.();
  }

  /** The worker exits: unanswered requests go to the lost handler. */
  lose(cause: unknown): void {
    this.alive = false;
    this.onLost(this as unknown as Connection, cause, this.inFlight.splice(0));
  }

  /** Opening fails: `ready` rejects and the thread exits (in that order, as Connection does). */
  failOpen(cause: unknown): void {
    this.#fail(cause);
    this.lose(cause);
  }
}

interface LostReport {
  readonly connection: ScriptedConnection;
  readonly cause: unknown;
  readonly requests: string[];
  readonly lease: WriterLease | null;
}

const owner = { settled: () => {} };
const write = (sql: string): Request => new Request(OP_RUN, sql, undefined, 0, DECODE_RUN, owner);

/** A lane over scripted connections; `connections` lists every writer it opened. */
function lane(acquireTimeoutMs = 0) {
  const connections: ScriptedConnection[] = [];
  const lost: LostReport[] = [];
  const writer = new WriterLane(
    (onLost) => {
      const connection = new ScriptedConnection(onLost);
      connections.push(connection);
      return connection as unknown as Connection;
    },
    acquireTimeoutMs,
    (connection, cause, requests, lease) =>
      lost.push({ connection: connection as unknown as ScriptedConnection, cause, requests: requests.map((r) => r.sql), lease }),
  );
  return { writer, connections, lost };
}

/** A lane whose first writer is open. */
async function started(acquireTimeoutMs = 0) {
  const made = lane(acquireTimeoutMs);
  const starting = made.writer.start();
  made.connections[0]?.open();
  await starting;
  return { ...made, first: made.connections[0] as ScriptedConnection };
}

/** Lets promise reactions run (no timer). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Tracks a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>): { status: "pending" | "fulfilled" | "rejected"; value?: T; reason?: unknown } {
  const state: { status: "pending" | "fulfilled" | "rejected"; value?: T; reason?: unknown } = { status: "pending" };
  promise.then(
    (value) => {
      state.status = "fulfilled";
      state.value = value;
    },
    (reason: unknown) => {
      state.status = "rejected";
      state.reason = reason;
    },
  );
  return state;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("WriterLease", () => {
  it("lost: the recorded cause first, else a message once the connection is gone; failure adds a stop", () => {
    const connection = { alive: true } as unknown as Connection;
    const lease = new WriterLease(connection);
    expect([lease.lost, lease.failure]).toEqual([undefined, undefined]);
    lease.stopped = "stopped";
    expect([lease.lost, lease.failure]).toEqual([undefined, "stopped"]);
    (connection as { alive: boolean }).alive = false;
    expect([lease.lost, lease.failure]).toEqual(["the writer connection was stopped", "the writer connection was stopped"]);
    lease.broken = "crashed";
    expect([lease.lost, lease.failure]).toEqual(["crashed", "crashed"]);
  });
});

describe("plain writes", () => {
  it("go straight to an idle writer, in order", async () => {
    const { writer, first } = await started();
    expect(writer.connection).toBe(first);
    writer.submit(write("a"));
    writer.submit(write("b"));
    expect(first.posted).toEqual(["a", "b"]);
    expect(writer.queued).toBe(0);
  });

  it("wait behind a lease and go out in order when it is released", async () => {
    const { writer, first } = await started();
    const lease = await writer.acquire();
    expect(writer.leased).toBe(true);
    expect(writer.leaseOn(first as unknown as Connection)).toBe(lease);
    expect(writer.leaseOn({} as Connection)).toBeNull();
    writer.submit(write("a"));
    writer.submit(write("b"));
    expect(first.posted).toEqual([]);
    expect(writer.queued).toBe(2);
    writer.release(lease);
    expect(writer.leased).toBe(false);
    expect(writer.leaseOn(first as unknown as Connection)).toBeNull();
    expect(first.posted).toEqual(["a", "b"]);
    expect(writer.queued).toBe(0);
  });

  it("wait behind an earlier lease waiter, not only behind a held lease", async () => {
    const { writer, first } = await started();
    writer.submit(write("sent"));
    const waiting = track(writer.acquire()); // waits for "sent" to be answered
    writer.submit(write("behind the lease"));
    expect(first.posted).toEqual(["sent"]);
    first.answer();
    await settle();
    expect(waiting.status).toBe("fulfilled");
    expect(first.posted).toEqual(["sent"]);
    writer.release(waiting.value as WriterLease);
    expect(first.posted).toEqual(["sent", "behind the lease"]);
  });

  it("a queued write that waits longer than acquireTimeoutMs rejects and is never sent", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { writer, first } = await started(50);
    const lease = await writer.acquire();
    const late = write("late");
    const outcome = track(late.promise);
    writer.submit(late);
    await vi.advanceTimersByTimeAsync(49);
    expect(outcome.status).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.reason).toEqual(new TimeoutError(50, "write waited 50 ms for the writer connection"));
    expect(outcome.reason).toBeInstanceOf(TimeoutError);
    expect(writer.queued).toBe(0);
    writer.release(lease);
    expect(first.posted).toEqual([]);
  });

  it("a queued write sent in time is not timed out afterwards", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { writer, first } = await started(50);
    const lease = await writer.acquire();
    const w = write("in time");
    const outcome = track(w.promise);
    writer.submit(w);
    writer.release(lease);
    await vi.advanceTimersByTimeAsync(100);
    expect(outcome.status).toBe("pending");
    first.answer();
    await settle();
    expect(outcome.status).toBe("fulfilled");
  });

  it("remove() takes a queued write back; false for one not queued", async () => {
    const { writer, first } = await started();
    const lease = await writer.acquire();
    const a = write("a");
    const b = write("b");
    writer.submit(a);
    writer.submit(b);
    expect(writer.remove(a)).toBe(true);
    expect(writer.remove(a)).toBe(false);
    expect(writer.remove(write("never queued"))).toBe(false);
    writer.release(lease);
    expect(first.posted).toEqual(["b"]);
  });

  it("a write settled while queued is skipped", async () => {
    const { writer, first } = await started();
    const lease = await writer.acquire();
    const gone = write("gone");
    gone.promise.catch(() => {});
    writer.submit(gone);
    writer.submit(write("kept"));
    gone.reject(new Error("cancelled elsewhere"));
    writer.release(lease);
    expect(first.posted).toEqual(["kept"]);
  });
});

describe("leases", () => {
  it("are granted at once on an idle writer", async () => {
    const { writer } = await started();
    const lease = await writer.acquire();
    expect(lease.connection).toBe(writer.connection);
  });

  it("wait until every write sent before them is answered", async () => {
    const { writer, first } = await started();
    writer.submit(write("a"));
    writer.submit(write("b"));
    const waiting = track(writer.acquire());
    first.answer();
    await settle();
    expect(waiting.status).toBe("pending");
    first.answer();
    await settle();
    expect(waiting.status).toBe("fulfilled");
  });

  it("are served first come, first served with plain writes", async () => {
    const { writer, first } = await started();
    const a = await writer.acquire();
    writer.submit(write("w1"));
    const b = track(writer.acquire());
    writer.submit(write("w2"));
    expect(writer.queued).toBe(3);
    writer.release(a);
    expect(first.posted).toEqual(["w1"]);
    await settle();
    expect(b.status).toBe("pending"); // w1 not answered yet
    first.answer();
    await settle();
    expect(b.status).toBe("fulfilled");
    expect(first.posted).toEqual(["w1"]);
    writer.release(b.value as WriterLease);
    expect(first.posted).toEqual(["w1", "w2"]);
  });

  it("release is idempotent", async () => {
    const { writer, first } = await started();
    const a = await writer.acquire();
    writer.release(a);
    const b = await writer.acquire();
    writer.release(a);
    expect(writer.leased).toBe(true);
    writer.submit(write("behind b"));
    expect(first.posted).toEqual([]);
    writer.release(b);
    expect(first.posted).toEqual(["behind b"]);
  });

  it("an already-aborted signal rejects at once and takes no place", async () => {
    const { writer } = await started();
    const held = await writer.acquire();
    await expect(writer.acquire(AbortSignal.abort("no"))).rejects.toMatchObject({ name: "CancelledError", reason: "no" });
    expect(writer.queued).toBe(0);
    writer.release(held);
  });

  it("aborting a waiting acquire gives up its place, and the writes behind it go out at once", async () => {
    const { writer, first } = await started();
    writer.submit(write("sent"));
    const controller = new AbortController();
    const waiting = track(writer.acquire(controller.signal)); // blocked: "sent" is unanswered
    writer.submit(write("behind"));
    expect(first.posted).toEqual(["sent"]);
    controller.abort("give up");
    await settle();
    expect(waiting.status).toBe("rejected");
    expect(waiting.reason).toBeInstanceOf(CancelledError);
    expect(first.posted).toEqual(["sent", "behind"]);
    expect(writer.queued).toBe(0);
  });

  it("an acquire that waits longer than acquireTimeoutMs rejects, and its place is skipped", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { writer, first } = await started(50);
    const held = await writer.acquire();
    const timedOut = track(writer.acquire());
    const next = track(writer.acquire());
    await vi.advanceTimersByTimeAsync(49);
    expect(timedOut.status).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(timedOut.reason).toEqual(new TimeoutError(50, "waited 50 ms for the writer connection"));
    expect(timedOut.reason).toBeInstanceOf(TimeoutError);
    expect(next.reason).toBeInstanceOf(TimeoutError); // it waited as long
    expect(writer.queued).toBe(0);
    writer.release(held);
    await settle();
    const after = await writer.acquire();
    expect(after.connection).toBe(first);
  });

  it("with acquireTimeoutMs 0 an acquire waits as long as it takes", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { writer } = await started(0);
    const held = await writer.acquire();
    const waiting = track(writer.acquire());
    const w = write("queued");
    const queued = track(w.promise);
    writer.submit(w);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect([waiting.status, queued.status]).toEqual(["pending", "pending"]);
    writer.release(held);
    await settle();
    expect(waiting.status).toBe("fulfilled");
  });

  it("a lease taken for a write is withdrawn by remove(write), and the next waiter proceeds", async () => {
    const { writer } = await started();
    const held = await writer.acquire();
    const w = write("cancellable");
    const withdrawn = track(writer.acquire(undefined, w));
    const next = track(writer.acquire());
    expect(writer.remove(w)).toBe(true);
    await settle();
    expect(withdrawn.reason).toEqual(new CancelledError("the write was withdrawn"));
    expect(withdrawn.reason).toBeInstanceOf(CancelledError);
    expect(writer.remove(w)).toBe(false);
    expect(writer.queued).toBe(1);
    writer.release(held);
    await settle();
    expect(next.status).toBe("fulfilled");
  });

  it("a lease granted and withdrawn before the grant was delivered is released", async () => {
    const { writer, first } = await started();
    const held = await writer.acquire();
    const w = write("cancellable");
    const withdrawn = track(writer.acquire(undefined, w));
    writer.release(held); // grants the lease to w's waiter; delivery is a microtask away
    expect(writer.leased).toBe(true);
    expect(writer.remove(w)).toBe(true);
    await settle();
    expect(withdrawn.status).toBe("rejected");
    expect(writer.leased).toBe(false);
    writer.submit(write("after"));
    expect(first.posted).toEqual(["after"]);
  });
});

describe("leases: what a granted or abandoned waiter leaves behind", () => {
  it("a waiter granted before its acquire timeout leaves no timer armed", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { writer, first } = await started(50);
    writer.submit(write("sent"));
    const waiting = track(writer.acquire());
    expect(vi.getTimerCount()).toBe(1);
    first.answer();
    await settle();
    expect(waiting.status).toBe("fulfilled");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a withdrawn waiter at the head does not hold back the writes behind it", async () => {
    const { writer, first } = await started();
    writer.submit(write("sent"));
    const w = write("cancellable");
    const withdrawn = track(writer.acquire(undefined, w)); // waits for "sent" to be answered
    writer.submit(write("behind"));
    expect(first.posted).toEqual(["sent"]);
    writer.remove(w);
    await settle();
    expect(withdrawn.status).toBe("rejected");
    expect(first.posted).toEqual(["sent", "behind"]);
  });
});

describe("shutdown", () => {
  it("fails queued writes and lease waiters with its error", async () => {
    const { writer, first } = await started();
    const held = await writer.acquire();
    const w = write("queued");
    const queued = track(w.promise);
    writer.submit(w);
    const waiting = track(writer.acquire());
    const error = new Error("closing");
    writer.shutdown(error);
    await settle();
    expect(queued.reason).toBe(error);
    expect(waiting.reason).toBe(error);
    writer.release(held);
    expect(first.posted).toEqual([]);
  });

  it("does not time out or replace anything afterwards", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { writer, connections, first } = await started(50);
    writer.shutdown(new Error("closing"));
    first.lose("closed");
    expect(connections).toHaveLength(1);
    expect(writer.connection).toBeNull();
    const w = write("after close");
    writer.submit(w);
    const outcome = track(w.promise);
    await vi.advanceTimersByTimeAsync(1000);
    expect(outcome.status).toBe("pending");
    expect(connections).toHaveLength(1);
  });
});

describe("losing the writer", () => {
  it("breaks the lease on it, reports what was unanswered, and opens a new writer for what waits", async () => {
    const { writer, connections, lost, first } = await started();
    const lease = await writer.acquire();
    lease.connection.send(write("in the transaction"));
    writer.submit(write("waiting"));
    first.lose("crashed");
    expect(lease.broken).toBe("crashed");
    expect(lost).toEqual([{ connection: first, cause: "crashed", requests: ["in the transaction"], lease }]);
    expect(connections).toHaveLength(2);
    const second = connections[1] as ScriptedConnection;
    expect(writer.connection).toBe(second);
    expect(writer.leaseOn(first as unknown as Connection)).toBe(lease);
    writer.release(lease);
    second.open();
    await settle();
    expect(second.posted).toEqual(["waiting"]);
  });

  it("reports no lease when none was held", async () => {
    const { writer, lost, first } = await started();
    writer.submit(write("a"));
    first.lose("crashed");
    expect(lost).toEqual([{ connection: first, cause: "crashed", requests: ["a"], lease: null }]);
  });

  it("ignores the loss of a connection that is no longer the writer", async () => {
    const { writer, connections, lost, first } = await started();
    first.lose("crashed");
    const second = connections[1] as ScriptedConnection;
    second.open();
    await settle();
    first.lose("again");
    expect(lost).toHaveLength(1);
    expect(writer.connection).toBe(second);
    expect(connections).toHaveLength(2);
  });

  it("if the replacement fails to open, what waits for it fails with the cause; the next call opens another", async () => {
    const { writer, connections, first } = await started();
    first.lose("crashed");
    const lease = await writer.acquire(); // on the replacement, still opening
    const w = write("waiting");
    const queued = track(w.promise);
    writer.submit(w);
    const leaseWaiter = track(writer.acquire());
    (connections[1] as ScriptedConnection).failOpen("disk gone");
    await settle();
    expect(lease.broken).toBe("disk gone");
    expect(queued.reason).toBe("disk gone");
    expect(leaseWaiter.reason).toEqual(new Error("disk gone"));
    expect((leaseWaiter.reason as Error).cause).toBe("disk gone");
    writer.release(lease);
    expect(writer.connection).toBeNull();
    expect(connections).toHaveLength(2);

    writer.submit(write("retry"));
    expect(connections).toHaveLength(3);
    const third = connections[2] as ScriptedConnection;
    third.open();
    await settle();
    expect(third.posted).toEqual(["retry"]);

    third.lose("crashed again");
    const waiting = track(writer.acquire());
    expect(connections).toHaveLength(4);
    (connections[3] as ScriptedConnection).open();
    await settle();
    expect(waiting.status).toBe("fulfilled");
  });

  it("an acquire with no writer opens one", async () => {
    const { writer, connections, first } = await started();
    first.lose("crashed");
    (connections[1] as ScriptedConnection).failOpen("disk gone");
    await settle();
    const waiting = track(writer.acquire());
    expect(connections).toHaveLength(3);
    (connections[2] as ScriptedConnection).open();
    await settle();
    expect(waiting.status).toBe("fulfilled");
  });

  it("sends nothing to a writer that is being terminated (not alive, exit not yet seen)", async () => {
    const { writer, connections, first } = await started();
    const lease = await writer.acquire();
    writer.submit(write("waiting"));
    first.alive = false; // terminate() was called; the exit event comes later
    writer.release(lease);
    expect(first.posted).toEqual([]);
    first.lose("terminated");
    const second = connections[1] as ScriptedConnection;
    second.open();
    await settle();
    expect(second.posted).toEqual(["waiting"]);
  });

  it("a replacement lost after it opened is replaced again; a lease broken earlier keeps its cause", async () => {
    const { writer, connections, first } = await started();
    const old = await writer.acquire();
    first.lose("crashed");
    expect(old.broken).toBe("crashed");
    writer.release(old);
    const second = connections[1] as ScriptedConnection;
    second.open();
    await settle();
    const lease = await writer.acquire();
    const w = write("queued");
    const queued = track(w.promise);
    writer.submit(w);
    second.lose("crashed again");
    expect(lease.broken).toBe("crashed again");
    expect(old.broken).toBe("crashed");
    expect(connections).toHaveLength(3);
    await settle();
    expect(queued.status).toBe("pending");
    writer.release(lease);
    const third = connections[2] as ScriptedConnection;
    third.open();
    await settle();
    expect(third.posted).toEqual(["queued"]);
  });

  it("a lease broken by the old writer keeps its cause when the replacement fails to open", async () => {
    const { writer, connections, first } = await started();
    const old = await writer.acquire();
    first.lose("crashed");
    (connections[1] as ScriptedConnection).failOpen("disk gone");
    await settle();
    expect(old.broken).toBe("crashed");
    writer.release(old);
  });
});
