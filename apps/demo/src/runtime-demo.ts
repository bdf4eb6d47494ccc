/**
 * The runtime's showcase: capabilities, tasks with priorities, a bounded
 * channel between producers and a consumer, select with a timeout, a
 * structured executor, and the runtime's own statistics.
 */
import { bounded, Executor, onRecv, onTimeout, printCapabilities, type Runtime, select, sleep, spawn, spawnUrgent } from "@zsync/runtime";

export async function runtimeDemo(rt: Runtime): Promise<void> {
  console.log("\n== runtime: capabilities ==");
  printCapabilities();

  console.log("\n== runtime: priorities ==");
  const order: string[] = [];
  const normal = Array.from({ length: 3 }, (_, i) => spawn(() => order.push(`normal-${i}`)));
  const urgent = spawnUrgent(() => order.push("urgent (QUIC handshake)"));
  await Promise.all([...normal, urgent]);
  console.log(`start order: ${order.join(" -> ")}`);

  console.log("\n== runtime: bounded channel, 3 producers -> 1 consumer ==");
  const channel = bounded<number>(64);
  const producers = Array.from({ length: 3 }, (_, p) =>
    spawn(async () => {
      for (let i = 0; i < 10_000; i++) await channel.send(p * 10_000 + i);
    }),
  );
  const started = performance.now();
  const consumer = spawn(async () => {
    let count = 0;
    let sum = 0;
    for await (const value of channel) {
      count++;
      sum += value;
    }
    return { count, sum };
  });
  await Promise.all(producers);
  channel.close();
  const { count, sum } = await consumer;
  const ms = performance.now() - started;
  console.log(
    `received ${count} messages (checksum ${sum}) in ${ms.toFixed(1)} ms: ${((count / ms) * 1000).toFixed(0)} msg/s with back-pressure at 64`,
  );

  console.log("\n== runtime: select with a timeout ==");
  // Two rounds of select against one reply: one round receives it, the other
  // times out. Afterwards a late message is sent and the channel drained, so
  // the printed counts show what happened to every message sent: a receive
  // branch that lost to the timeout must not have consumed anything.
  const replies = bounded<string>(1);
  let sent = 0;
  const peer = spawn(async () => {
    await sleep(5);
    await replies.send("reply from a fast peer");
    sent++;
  });
  let delivered = 0;
  let timeouts = 0;
  for (let round = 1; round <= 2; round++) {
    const roundStart = performance.now();
    const outcome = await select([
      onRecv(replies, (msg) => {
        delivered++;
        return `got "${msg}"`;
      }),
      onTimeout(25, () => {
        timeouts++;
        return "timed out";
      }),
    ]);
    console.log(`round ${round}: ${outcome} after ${(performance.now() - roundStart).toFixed(1)} ms`);
  }
  await peer;
  await replies.send("late message");
  sent++;
  replies.close();
  let drained = 0;
  for await (const _ of replies) drained++;
  console.log(
    `select: ${sent} messages sent, ${delivered} delivered by select, ${drained} drained from the channel afterwards, ` +
      `${sent - delivered - drained} lost; ${timeouts} round(s) timed out`,
  );

  console.log("\n== runtime: structured executor (fail-fast) ==");
  const executor = new Executor<string>();
  let siblingStop = "still running";
  executor.spawn(async () => {
    try {
      await sleep(10_000);
      return "never";
    } catch (error) {
      siblingStop = (error as Error).name;
      throw error;
    }
  });
  executor.spawn(async () => {
    await sleep(5);
    throw new Error("a child failed");
  });
  const joinStart = performance.now();
  const joined = await executor.joinAll().then(
    () => "joinAll resolved",
    (error: Error) => `joinAll rejected with "${error.message}"`,
  );
  console.log(`  ${joined} after ${(performance.now() - joinStart).toFixed(1)} ms; the 10 s sibling: ${siblingStop}`);
  await executor[Symbol.asyncDispose]();

  console.log("\n== runtime: stats ==");
  rt.printStats();
}
