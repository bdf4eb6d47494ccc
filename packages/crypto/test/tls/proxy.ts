/** A loopback TCP proxy that can corrupt one byte of the next server-to-client chunk (tampered-record tests). */
import { createServer, connect as netConnect, type Server } from "node:net";

export interface TamperProxy {
  readonly port: number;
  /** Flip the last byte of the next chunk the server sends toward the client. */
  tamperNextServerChunk(): void;
  close(): Promise<void>;
}

export function startTamperProxy(targetPort: number): Promise<TamperProxy> {
  let tamper = false;
  const server: Server = createServer((client) => {
    const upstream = netConnect({ host: "127.0.0.1", port: targetPort });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.pipe(upstream);
    upstream.on("data", (chunk: Buffer) => {
      if (tamper) {
        tamper = false;
        const copy = Buffer.from(chunk);
        copy[copy.length - 1] = (copy[copy.length - 1] as number) ^ 0x01;
        client.write(copy);
      } else client.write(chunk);
    });
    upstream.on("end", () => client.end());
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address !== null ? address.port : 0,
        tamperNextServerChunk: () => {
          tamper = true;
        },
        close: () => new Promise((r) => server.close(() => r())),
      });
    }),
  );
}
