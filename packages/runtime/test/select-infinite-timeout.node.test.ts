// `onTimeout(Infinity)` never fires, so a select parked on it must not arm a
// host timer: a ref'd timer would keep a Node process alive for as long as
// the select waits (a survivor of the mutation run, issue 14). Node only: it
// counts the process's active timers.
import { expect, test } from "vitest";
import { bounded } from "../src/channel/channel.js";
import { onRecv, onTimeout, select } from "../src/select.js";

function timers(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
}

test("a select parked on onTimeout(Infinity) arms no timer", async () => {
  const ch = bounded<number>(0);
  const before = timers();
  const pending = select([onRecv(ch), onTimeout(Number.POSITIVE_INFINITY, () => "never")]);
  expect(timers()).toBe(before);
  expect(ch.trySend(5)).toBe(true);
  expect(await pending).toBe(5);
});
