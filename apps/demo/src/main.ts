/**
 * zsync-ts demo: one program using every package that has landed, like the
 * seeds' main(): the runtime's showcase, CPU work on a thread pool next to
 * green threads, crypto, TLS 1.3 echoes (ours and node:tls), a QUIC v1/v2
 * echo between our client and our server, an async database, and all of
 * them behind one HTTP/3 service exercised by our HTTP/3 client.
 */
import { Config, run } from "@zsync/runtime";
import { cryptoDemo } from "./crypto-demo.js";
import { h3Demo } from "./h3-demo.js";
import { quicDemo } from "./quic-demo.js";
import { runtimeDemo } from "./runtime-demo.js";
import { sqliteDemo } from "./sqlite-demo.js";
import { threadPoolDemo } from "./thread-pool-demo.js";
import { tlsDemo } from "./tls-demo.js";

await run(async (rt) => {
  console.log("zsync-ts demo");
  await runtimeDemo(rt);
  await threadPoolDemo();
  await cryptoDemo();
  await tlsDemo();
  await quicDemo();
  await sqliteDemo();
  await h3Demo();
}, Config.optimal());
