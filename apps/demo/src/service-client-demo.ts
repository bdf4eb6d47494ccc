/**
 * The client half of the HTTP/3 demo: exercises every endpoint of the demo
 * service (service/demo-service.ts) through a `send` function and prints
 * what came back, checked against what the program computed itself (a
 * digest recomputed with node:crypto, a round trip compared byte for byte,
 * ids counted, the log's total against the requests this function made).
 * Independent of the transport: h3-demo.ts passes our HTTP/3 client.
 *
 * @example
 * ```ts
 * import { exerciseService } from "./service-client-demo.js";
 * const report = await exerciseService((request) => fetch(request), "https://localhost:4433");
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { spawn } from "@zsync/runtime";
import { bulkPayload } from "./quic-demo.js";

/** Sends one request and returns the response. */
export type Send = (request: Request) => Promise<Response>;

const MiB = 1024 * 1024;
/** Bytes hashed by the service in the demo. */
export const HASH_BYTES = 8 * MiB;
/** Bytes sealed and opened by the service in the demo. */
export const SEAL_BYTES = 4 * MiB;
/** Notes posted at once, each from its own runtime task. */
export const PARALLEL_NOTES = 32;

interface ErrorBody {
  readonly error: { readonly code: string };
}

/** What the exercise counted, for the caller's summary. */
export interface ExerciseReport {
  /** Requests this function sent (the service's log must count as many). */
  readonly requests: number;
}

/**
 * Exercises the service at `origin` through `send`, printing one line per
 * step. Throws if a step's answer is not what the service must give.
 */
export async function exerciseService(send: Send, origin: string): Promise<ExerciseReport> {
  let requests = 0;
  const call = async (path: string, init: RequestInit | undefined, status: number): Promise<Response> => {
    requests++;
    const response = await send(new Request(`${origin}${path}`, init));
    if (response.status !== status) {
      const body = await response.text();
      throw new Error(`${init?.method ?? "GET"} ${path}: status ${response.status}, expected ${status}: ${body.slice(0, 300)}`);
    }
    return response;
  };
  const codeOf = async (response: Response): Promise<string> => ((await response.json()) as ErrorBody).error.code;
  const ms = (start: number): string => `${(performance.now() - start).toFixed(1)} ms`;

  let start = performance.now();
  const index = await call("/", undefined, 200);
  const html = await index.text();
  console.log(`  GET / -> ${index.status} ${index.headers.get("content-type")}, ${html.length} bytes in ${ms(start)}`);

  // bulkPayload allocates an ordinary ArrayBuffer (a Uint8Array of a length), which a request body may be.
  const payload = bulkPayload(HASH_BYTES, 3) as Uint8Array<ArrayBuffer>;
  const local = createHash("sha256").update(payload).digest("hex");
  for (const algorithm of ["sha256", "blake3"] as const) {
    start = performance.now();
    const hashed = await call(`/hash?algorithm=${algorithm}`, { method: "POST", body: payload }, 200);
    const { bytes, digest } = (await hashed.json()) as { bytes: number; digest: string };
    const took = performance.now() - start;
    const check = algorithm === "sha256" ? `; equals the local node:crypto digest: ${digest === local}` : "";
    console.log(
      `  POST /hash?algorithm=${algorithm} (${bytes} bytes uploaded) -> ${digest} in ${took.toFixed(1)} ms (${(bytes / 1e6 / (took / 1000)).toFixed(1)} MB/s)${check}`,
    );
  }

  const secret = payload.subarray(0, SEAL_BYTES);
  start = performance.now();
  const envelope = new Uint8Array(await (await call("/seal", { method: "POST", body: secret }, 200)).arrayBuffer());
  const opened = new Uint8Array(await (await call("/open", { method: "POST", body: envelope }, 200)).arrayBuffer());
  const tampered = envelope.slice();
  tampered[tampered.length - 100]! ^= 1;
  const refused = await call("/open", { method: "POST", body: tampered }, 400);
  const refusal = ((await refused.json()) as { error: { code: string; message: string } }).error;
  console.log(
    `  POST /seal ${secret.length} bytes -> ${envelope.length}-byte envelope; POST /open -> ${opened.length} bytes, byte for byte ${Buffer.compare(opened, secret) === 0 ? "identical" : "DIFFERENT"}; one flipped bit -> ${refused.status} ${refusal.code} (${refusal.message}); ${ms(start)}`,
  );

  start = performance.now();
  const posted = await Promise.all(
    Array.from({ length: PARALLEL_NOTES }, (_, i) =>
      spawn(async () => {
        const created = await call("/notes", { method: "POST", body: JSON.stringify({ text: `note ${i} from task ${i}` }) }, 201);
        return ((await created.json()) as { id: number }).id;
      }),
    ),
  );
  const listed = (await (await call("/notes", undefined, 200)).json()) as { total: number };
  const first = (await (await call(`/notes/${posted[0]}`, undefined, 200)).json()) as { id: number; text: string };
  console.log(
    `  POST /notes from ${PARALLEL_NOTES} tasks at once -> ${new Set(posted).size} distinct ids; GET /notes -> total ${listed.total}; GET /notes/${first.id} -> ${JSON.stringify(first.text)}; ${ms(start)}`,
  );

  const bad: [string, RequestInit | undefined, number][] = [
    ["/notes/abc", undefined, 400],
    ["/notes", { method: "POST", body: "{not json" }, 400],
    ["/hash?algorithm=md5", { method: "POST", body: "x" }, 400],
    ["/notes", { method: "PUT", body: "x" }, 405],
    ["/no/such/route", undefined, 404],
  ];
  const answers: string[] = [];
  for (const [path, init, status] of bad) {
    const response = await call(path, init, status);
    answers.push(`${init?.method ?? "GET"} ${path} -> ${response.status} ${await codeOf(response)}`);
  }
  console.log(`  bad requests: ${answers.join("; ")}`);

  start = performance.now();
  const quick = (await (await call("/slow?ms=20", undefined, 200)).json()) as { elapsedMs: number; deadlineMs: number };
  const quickMs = performance.now() - start;
  start = performance.now();
  const late = await call("/slow?ms=5000", undefined, 504);
  const lateCode = await codeOf(late);
  console.log(
    `  GET /slow?ms=20 -> 200 after ${quickMs.toFixed(1)} ms (deadline ${quick.deadlineMs} ms); GET /slow?ms=5000 -> 504 ${lateCode} after ${ms(start)}: the runtime's timeout cancelled the work`,
  );

  const stats = (await (await call("/stats", undefined, 200)).json()) as { requests: { total: number; byStatus: Record<string, number> } };
  // /stats counts what was logged before it: every request above, not itself.
  console.log(
    `  GET /stats -> the service logged ${stats.requests.total} requests before it (this client sent ${requests - 1}); by status ${JSON.stringify(stats.requests.byStatus)}`,
  );
  return { requests };
}
