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
  const replies = bounded<string>(1);
  spawn(async () => {
    await sleep(5);
    await replies.send("reply from a fast peer");
  });
  for (let round = 1; round <= 2; round++) {
    const outcome = await select([
      onRecv(replies, (msg) => `got "${msg}"`),
      onTimeout(25, () => "timed out after 25 ms (no message consumed)"),
    ]);
    console.log(`round ${round}: ${outcome}`);
  }

  console.log("\n== runtime: structured executor (fail-fast) ==");
  const executor = new Executor<string>();
  executor.spawn(async () => {
    try {
      await sleep(10_000);
      return "never";
    } catch (error) {
      console.log(`  slow sibling stopped: ${(error as Error).name}`);
      throw error;
    }
  });
  executor.spawn(async () => {
    await sleep(5);
    throw new Error("a child failed");
  });
  await executor.joinAll().catch((error: Error) => console.log(`  joinAll rejected with "${error.message}" after cancelling the sibling`));
  await executor[Symbol.asyncDispose]();

  console.log("\n== runtime: stats ==");
  rt.printStats();
}
