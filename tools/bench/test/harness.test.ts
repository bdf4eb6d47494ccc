import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatRow, median, percentile, runCase, runSuite, timed } from "../src/index.js";

describe("statistics", () => {
  it("median of odd and even lists", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });

  it("nearest-rank percentile", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });
});

describe("runCase", () => {
  it("interleaves rounds, alternating which side goes first, and reports medians", async () => {
    const order: string[] = [];
    let o = 0;
    let a = 0;
    const row = await runCase("suite", {
      name: "case",
      unit: "ops/s",
      better: "higher",
      rounds: 3,
      warmupRounds: 0,
      ours: () => {
        order.push("o");
        return [10, 30, 20][o++] as number;
      },
      anchor: {
        name: "anchor",
        sample: () => {
          order.push("a");
          return [5, 5, 100][a++] as number;
        },
      },
    });
    expect(order).toEqual(["o", "a", "a", "o", "o", "a"]);
    expect(row.ours).toBe(20);
    expect(row.anchor).toBe(5);
    expect(row.ratio).toBe(4);
    expect(formatRow(row)).toBe("| case | 20.00 ops/s | anchor | 5.00 ops/s | 4.00x (higher is better) |  |");
  });

  it("runs teardown even when a side throws", async () => {
    let tornDown = false;
    await expect(
      runCase("suite", {
        name: "boom",
        unit: "x",
        better: "lower",
        ours: () => {
          throw new Error("boom");
        },
        anchor: { name: "a", sample: () => 1 },
        teardown: () => {
          tornDown = true;
        },
      }),
    ).rejects.toThrow("boom");
    expect(tornDown).toBe(true);
  });
});

describe("timed cases", () => {
  it("a side doing 10x the work per call reports about a tenth of the throughput", async () => {
    const spin = (n: number) => {
      let x = 0;
      for (let i = 0; i < n; i++) x += i;
      return x;
    };
    const row = await runCase(
      "suite",
      timed({ name: "spin", ours: () => spin(20_000), anchor: { name: "10x", fn: () => spin(2_000) }, rounds: 3, timeMs: 40 }),
    );
    expect(row.unit).toBe("ops/s");
    expect(row.ratio).toBeGreaterThan(0.02);
    expect(row.ratio).toBeLessThan(0.5);
  });

  it("writes the suite's rows as JSON", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "bench-"));
    await runSuite("unit", [{ name: "c", unit: "u", better: "higher", rounds: 1, ours: () => 2, anchor: { name: "a", sample: () => 1 } }], {
      outDir,
    });
    const json = JSON.parse(readFileSync(join(outDir, "unit.json"), "utf8"));
    expect(json.rows[0]).toMatchObject({ suite: "unit", case: "c", ours: 2, anchor: 1, ratio: 2 });
  });
});
