import { describe, expect, test } from "vitest";
import { CancelledError, RuntimeStateError, TimeoutError } from "../src/errors.js";
import { ConnectionPool } from "../src/pool/connection-pool.js";
import { rejection } from "./observe.js";

interface Conn {
  readonly id: number;
  healthy: boolean;
  closed: boolean;
}

function fakePool(options: Partial<ConstructorParameters<typeof ConnectionPool<Conn>>[0]> = {}) {
  let next = 0;
  const all: Conn[] = [];
  const pool = new ConnectionPool<Conn>({
    create: async () => {
      const conn = { id: ++next, healthy: true, closed: false };
      all.push(conn);
      return conn;
    },
    destroy: (conn) => {
      conn.closed = true;
    },
    validate: (conn) => conn.healthy,
    ...options,
  });
  return { pool, all };
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

describe("ConnectionPool", () => {
  test("reuses released connections; `await using` releases", async () => {
    const { pool, all } = fakePool({ max: 2 });
    {
      await using lease = await pool.acquire();
      expect(lease.value.id).toBe(1);
      expect(pool.stats().leased).toBe(1);
    }
    expect(pool.stats()).toMatchObject({ leased: 0, idle: 1 });
    const again = await pool.acquire();
    expect(again.value.id).toBe(1);
    again.release();
    again.release();
    expect(pool.stats().idle).toBe(1);
    expect(all).toHaveLength(1);
    await pool.close();
  });

  test("never opens more than max; waiters get connections in FIFO order", async () => {
    const { pool, all } = fakePool({ max: 2 });
    const a = await pool.acquire();
    const b = await pool.acquire();
    const order: number[] = [];
    const c = pool.acquire().then((lease) => {
      order.push(1);
      return lease;
    });
    const d = pool.acquire().then((lease) => {
      order.push(2);
      return lease;
    });
    await tick();
    expect(pool.stats()).toMatchObject({ size: 2, waiting: 2 });
    a.release();
    b.release();
    const [lc, ld] = await Promise.all([c, d]);
    expect(order).toEqual([1, 2]);
    expect(all).toHaveLength(2);
    lc.release();
    ld.release();
    await pool.close();
  });

  test("acquire times out with TimeoutError and leaks nothing", async () => {
    const { pool } = fakePool({ max: 1, acquireTimeoutMs: 20 });
    const held = await pool.acquire();
    const error = await rejection(pool.acquire());
    expect(error).toBeInstanceOf(TimeoutError);
    expect(pool.stats()).toMatchObject({ waiting: 0, timeouts: 1 });
    held.release();
    const next = await pool.acquire({ timeoutMs: 100 });
    expect(next.value.id).toBe(1);
    next.release();
    await pool.close();
  });

  test("a cancelled acquire leaves; a connection created for it goes to the idle list", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const pool = new ConnectionPool<{ id: number }>({
      create: async () => {
        await gate;
        return { id: 7 };
      },
      max: 1,
    });
    const controller = new AbortController();
    const acquiring = pool.acquire({ signal: controller.signal });
    controller.abort("gave up");
    expect(await rejection(acquiring)).toBeInstanceOf(CancelledError);
    release();
    await tick();
    expect(pool.stats()).toMatchObject({ idle: 1, leased: 0, pending: 0 });
    const lease = await pool.acquire();
    expect(lease.value.id).toBe(7);
    lease.release();
    await pool.close();
  });

  test("invalid idle connections are destroyed and replaced on acquire", async () => {
    const { pool, all } = fakePool();
    const first = await pool.acquire();
    first.release();
    (all[0] as Conn).healthy = false;
    const second = await pool.acquire();
    expect(second.value.id).toBe(2);
    expect((all[0] as Conn).closed).toBe(true);
    expect(pool.stats().invalid).toBe(1);
    second.release();
    await pool.close();
  });

  test("discard closes a connection instead of returning it; use() discards on error", async () => {
    const { pool, all } = fakePool();
    const lease = await pool.acquire();
    await lease.discard();
    expect((all[0] as Conn).closed).toBe(true);
    await expect(pool.use(() => Promise.reject(new Error("protocol error")))).rejects.toThrow("protocol error");
    expect((all[1] as Conn).closed).toBe(true);
    expect(await pool.use((conn) => conn.id)).toBe(3);
    await pool.close();
  });

  test("idle connections above min are evicted after idleTimeoutMs", async () => {
    const { pool, all } = fakePool({ min: 1, idleTimeoutMs: 20 });
    const leases = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire()]);
    for (const lease of leases) lease.release();
    expect(pool.stats().idle).toBe(3);
    await tick(80);
    expect(pool.stats().idle).toBe(1);
    expect(all.filter((c) => c.closed)).toHaveLength(2);
    await pool.close();
  });

  test("health checks destroy idle connections that fail validation and refill to min", async () => {
    const { pool, all } = fakePool({ min: 2 });
    await tick();
    expect(pool.stats().idle).toBe(2);
    (all[0] as Conn).healthy = false;
    await pool.checkHealth();
    await tick();
    expect((all[0] as Conn).closed).toBe(true);
    expect(pool.stats().idle).toBe(2);
    expect(all).toHaveLength(3);
    await pool.close();
  });

  test("close rejects waiters, destroys idle connections now and leased ones on release", async () => {
    const { pool, all } = fakePool({ max: 1 });
    const lease = await pool.acquire();
    const waiting = pool.acquire();
    const closed = pool.close();
    expect(await rejection(waiting)).toBeInstanceOf(RuntimeStateError);
    expect((all[0] as Conn).closed).toBe(false);
    lease.release();
    await closed;
    expect((all[0] as Conn).closed).toBe(true);
    expect(await rejection(pool.acquire())).toBeInstanceOf(RuntimeStateError);
  });

  test("a failing create rejects the waiter with its error", async () => {
    const pool = new ConnectionPool({
      create: () => Promise.reject(new Error("db down")),
    });
    await expect(pool.acquire()).rejects.toThrow("db down");
    expect(pool.stats().size).toBe(0);
    await pool.close();
  });

  test("validates its options", () => {
    // @ts-expect-error: missing create on purpose
    expect(() => new ConnectionPool({})).toThrow(TypeError);
    expect(() => new ConnectionPool({ create: () => 1, max: 0 })).toThrow(RangeError);
    expect(() => new ConnectionPool({ create: () => 1, min: 3, max: 2 })).toThrow(RangeError);
  });
});
