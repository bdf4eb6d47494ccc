/**
 * A select that has ended leaves nothing of its losing channel branches on the
 * channels: the waiter a receive or send branch parked is taken off the
 * channel's queue in the step that decides the select, so the channel does not
 * keep the branch, its handler or the value it offered reachable. Without
 * that, a long-lived channel that a loop selects on with a timeout (the usual
 * heartbeat pattern) gathers one dead waiter per timed-out round until the
 * next message arrives, each holding its select's closures. (Survivors of the
 * mutation run on src/select.ts, issue 14: the receive and send branches'
 * `unpark` emptied.)
 *
 * The channel exposes no count of parked waiters, so this watches the
 * handler and the value through a `WeakRef` across forced full collections.
 * Node only: it needs V8's `gc()`, which `--expose-gc` provides; the flag is
 * set at run time and the function taken from a fresh context, as Jest's leak
 * detector does.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { bounded, type Channel } from "../src/channel/channel.js";
import { CancelledError } from "../src/errors.js";
import { onRecv, onSend, onTimeout, type SelectBranch, select } from "../src/select.js";
import { rejection } from "./observe.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Whether `ref`'s target is gone after a few full collections (each after a turn of the event loop, which ends the job that made the `WeakRef`). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let round = 0; round < 5; round++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    gc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

/** The ways a select whose channel branch parked can end without that branch. */
type Ending = "a timeout wins" | "another channel wins" | "its signal aborts";

/** Runs `select([branch, <the winner of ending>])` to its end with `branch` parked, and checks the outcome. */
async function loseWith(branch: SelectBranch<unknown>, ending: Ending): Promise<void> {
  if (ending === "a timeout wins") {
    expect(await select([branch, onTimeout(1, () => "timed out")])).toBe("timed out");
  } else if (ending === "another channel wins") {
    const other = bounded<string>(1);
    const pending = select([branch, onRecv(other)]);
    other.trySend("other");
    expect(await pending).toBe("other");
  } else {
    const controller = new AbortController();
    const pending = select([branch], { signal: controller.signal });
    controller.abort("stop");
    // Not `expect(...).rejects`: vitest keeps such an assertion's subject
    // until the test ends, and the rejection's not yet formatted stack trace
    // holds the select's frames (their receivers), so its branches too.
    expect(await rejection(pending)).toBeInstanceOf(CancelledError);
  }
}

/** Loses a receive branch on the empty `channel`; returns a weak reference to its handler. */
async function loseReceive(channel: Channel<number>, ending: Ending): Promise<WeakRef<object>> {
  const onValue = (value: number): string => `got ${value}`;
  const ref = new WeakRef(onValue);
  await loseWith(onRecv(channel, onValue), ending);
  return ref;
}

/** Loses a send branch on the full `channel`; returns a weak reference to the value it offered. */
async function loseSend(channel: Channel<object>, ending: Ending): Promise<WeakRef<object>> {
  const value = { offered: true };
  const ref = new WeakRef(value);
  await loseWith(
    onSend(channel, value, () => "sent"),
    ending,
  );
  return ref;
}

const endings: Ending[] = ["a timeout wins", "another channel wins", "its signal aborts"];

describe("a select that has ended leaves its losing branches' waiters on no channel", () => {
  it.each(endings)("a receive branch: the channel keeps no reference to its handler once %s", async (ending) => {
    const channel = bounded<number>(1);
    const handler = await loseReceive(channel, ending);
    expect(await collected(handler)).toBe(true);
    // The channel is still in use, and still works: the message goes to the next receiver.
    expect(channel.trySend(1)).toBe(true);
    expect(await channel.recv()).toBe(1);
  });

  it.each(endings)("a send branch: the channel keeps no reference to its value once %s", async (ending) => {
    const channel = bounded<object>(1);
    const first = { first: true };
    await channel.send(first);
    const value = await loseSend(channel, ending);
    expect(await collected(value)).toBe(true);
    expect(channel.length).toBe(1);
    expect(await channel.recv()).toBe(first);
    expect(channel.tryRecv()).toEqual({ ok: false, closed: false });
  });
});
