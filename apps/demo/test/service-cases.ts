/**
 * The demo service's behaviour, written once against any way of sending it
 * a `Request` (directly, or over HTTP/3 through our client): each endpoint's
 * answers, and every kind of bad request getting its 4xx and code instead
 * of a crash. `service.test.ts` runs these cases per transport.
 */
import { createHash } from "node:crypto";
import { expect, it as vitestIt } from "vitest";

/** Sends one request to the service under test and returns its response. */
export type Send = (request: Request) => Promise<Response>;

/** What the cases need from the setup: the sender, and the service's configured limits. */
export interface ServiceUnderTest {
  readonly send: Send;
  /** The origin requests are addressed to (`https://localhost:<port>`). */
  readonly origin: string;
  readonly deadlineMs: number;
  readonly maxBodyBytes: number;
}

/** `length` bytes of xorshift32 output from `seed`. */
export function pattern(length: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = x & 0xff;
  }
  return out;
}

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** Defines the cases (call inside a `describe`); `get` is read when each case runs, after the setup. */
export function serviceCases(get: () => ServiceUnderTest): void {
  // A hang guard for 2 shared cores, not a performance bound.
  const it = (name: string, body: () => Promise<void>): void => vitestIt(name, body, 30_000);
  const request = (path: string, init?: RequestInit): Promise<Response> => get().send(new Request(`${get().origin}${path}`, init));
  const post = (path: string, body: BodyInit | null, headers?: Record<string, string>): Promise<Response> =>
    request(path, { method: "POST", body, ...(headers !== undefined && { headers }) });
  const errorCode = async (response: Response): Promise<string> => ((await response.json()) as ErrorBody).error.code;

  it("GET / answers the index page as HTML", async () => {
    const response = await request("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toContain("<title>zsync-ts demo service</title>");
  });

  it("POST /hash digests the body: sha256 of 1 MiB and sha512 equal node:crypto's, BLAKE3 of nothing is the published vector", async () => {
    const body = pattern(1024 * 1024, 3);
    const sha256 = await post("/hash", body);
    expect(sha256.status).toBe(200);
    expect(await sha256.json()).toEqual({
      algorithm: "sha256",
      bytes: body.length,
      digest: createHash("sha256").update(body).digest("hex"),
    });
    const sha512 = await post("/hash?algorithm=sha512", body.subarray(0, 1000));
    expect(((await sha512.json()) as { digest: string }).digest).toBe(createHash("sha512").update(body.subarray(0, 1000)).digest("hex"));
    const blake3 = await post("/hash?algorithm=blake3", new Uint8Array(0));
    expect(await blake3.json()).toEqual({
      algorithm: "blake3",
      bytes: 0,
      digest: "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
    });
  });

  it("POST /hash with an unknown algorithm is a 400 DEMO_BAD_ALGORITHM", async () => {
    const response = await post("/hash?algorithm=md5", "x");
    expect(response.status).toBe(400);
    expect(await errorCode(response)).toBe("DEMO_BAD_ALGORITHM");
  });

  it("POST /seal then POST /open gives the body back, for a small body and for 4 MiB (on worker lanes: the cipher's default threshold)", async () => {
    for (const body of [new TextEncoder().encode("a secret note"), pattern(4 * 1024 * 1024, 5)]) {
      const sealed = await post("/seal", body);
      expect(sealed.status).toBe(200);
      const envelope = new Uint8Array(await sealed.arrayBuffer());
      expect(envelope.length).toBeGreaterThan(body.length);
      // The envelope is ciphertext: the plaintext's first 13 bytes do not appear in it as they are.
      expect(Buffer.from(envelope).includes(Buffer.from(body.subarray(0, 13)))).toBe(false);
      const opened = await post("/open", envelope);
      expect(opened.status).toBe(200);
      expect(Buffer.compare(new Uint8Array(await opened.arrayBuffer()), body)).toBe(0);
    }
  });

  it("POST /open refuses an altered, a cut-short and a made-up envelope with a 400 naming the crypto error", async () => {
    const envelope = new Uint8Array(await (await post("/seal", pattern(5000, 9))).arrayBuffer());
    const flipped = envelope.slice();
    flipped[flipped.length - 20]! ^= 1;
    const cases: [Uint8Array<ArrayBuffer>, RegExp][] = [
      [flipped, /ZSYNC_CRYPTO_AUTH/],
      [envelope.slice(0, envelope.length - 30), /ZSYNC_CRYPTO_(TRUNCATED|AUTH)/],
      [new TextEncoder().encode("not an envelope at all"), /ZSYNC_CRYPTO_(FORMAT|TRUNCATED)/],
    ];
    for (const [body, code] of cases) {
      const response = await post("/open", body);
      expect(response.status).toBe(400);
      const { error } = (await response.json()) as ErrorBody;
      expect(error.code).toBe("DEMO_SEAL_REJECTED");
      expect(error.message).toMatch(code);
    }
  });

  it("a body over the limit is a 413 DEMO_BODY_TOO_LARGE, and the service answers the next request", async () => {
    const response = await post("/hash", pattern(get().maxBodyBytes + 1, 4));
    expect(response.status).toBe(413);
    expect(await errorCode(response)).toBe("DEMO_BODY_TOO_LARGE");
    const next = await request("/");
    expect(next.status).toBe(200);
    await next.text();
  });

  it("a streamed body (no content-length) over the limit is cut off with a 413, and the service answers the next request", async () => {
    const chunk = pattern(64 * 1024, 5);
    const total = get().maxBodyBytes * 4;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (sent >= total) return controller.close();
          sent += chunk.length;
          controller.enqueue(chunk.slice());
        },
      },
      { highWaterMark: 0 },
    );
    const response = await request("/hash", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(response.status).toBe(413);
    expect(await errorCode(response)).toBe("DEMO_BODY_TOO_LARGE");
    const next = await request("/");
    expect(next.status).toBe(200);
    await next.text();
  });

  it("POST /notes stores a note (201 and location), GET reads it back, DELETE removes it", async () => {
    const text = `note with unicode ✓ ${Math.random()}`;
    const created = await post("/notes", JSON.stringify({ text }), { "content-type": "application/json" });
    expect(created.status).toBe(201);
    const note = (await created.json()) as { id: number; text: string; createdAt: number };
    expect(note.text).toBe(text);
    expect(created.headers.get("location")).toBe(`/notes/${note.id}`);
    const read = await request(`/notes/${note.id}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual(note);
    const removed = await request(`/notes/${note.id}`, { method: "DELETE" });
    expect(removed.status).toBe(204);
    const gone = await request(`/notes/${note.id}`);
    expect(gone.status).toBe(404);
    expect(await errorCode(gone)).toBe("DEMO_NO_NOTE");
  });

  it("20 notes posted at once get 20 distinct ids, and GET /notes lists them all", async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `parallel note ${i}`);
    const responses = await Promise.all(texts.map((text) => post("/notes", JSON.stringify({ text }))));
    expect(responses.map((r) => r.status)).toEqual(texts.map(() => 201));
    const ids = await Promise.all(responses.map(async (r) => ((await r.json()) as { id: number }).id));
    expect(new Set(ids).size).toBe(20);
    const list = (await (await request("/notes")).json()) as { total: number; notes: { id: number; text: string }[] };
    expect(list.total).toBeGreaterThanOrEqual(20);
    const listed = new Map(list.notes.map((n) => [n.id, n.text]));
    expect(ids.map((id) => listed.get(id))).toEqual(texts);
  });

  it("bad notes requests are 400s with their codes: not JSON, no text, an empty text, a bad id", async () => {
    const cases: [Promise<Response>, number, string][] = [
      [post("/notes", "{not json"), 400, "DEMO_BAD_JSON"],
      [post("/notes", JSON.stringify({ title: "no text" })), 400, "DEMO_BAD_NOTE"],
      [post("/notes", JSON.stringify({ text: "" })), 400, "DEMO_BAD_NOTE"],
      [post("/notes", "null"), 400, "DEMO_BAD_NOTE"],
      [request("/notes/abc"), 400, "DEMO_BAD_ID"],
      [request("/notes/0"), 400, "DEMO_BAD_ID"],
      [request("/notes/99999999999999999"), 400, "DEMO_BAD_ID"],
      [request("/notes/123456789"), 404, "DEMO_NO_NOTE"],
    ];
    for (const [pending, status, code] of cases) {
      const response = await pending;
      expect(response.status).toBe(status);
      expect(await errorCode(response)).toBe(code);
    }
  });

  it("an unknown path is a 404 DEMO_NO_ROUTE; a known path with the wrong method a 405 with allow", async () => {
    const missing = await request("/no/such/route");
    expect(missing.status).toBe(404);
    expect(await errorCode(missing)).toBe("DEMO_NO_ROUTE");
    const wrong = await request("/notes", { method: "PUT", body: "x" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST, GET");
    expect(await errorCode(wrong)).toBe("DEMO_METHOD_NOT_ALLOWED");
  });

  it("GET /slow within the deadline answers 200; past it the work is cancelled and the answer is a 504 at the deadline", async () => {
    const quick = await request("/slow?ms=5");
    expect(quick.status).toBe(200);
    expect(await quick.json()).toMatchObject({ waitedMs: 5, deadlineMs: get().deadlineMs });
    // 60 s of work against the deadline: only cancellation answers it before this test's own timeout.
    const slow = await request("/slow?ms=60000");
    expect(slow.status).toBe(504);
    expect(await errorCode(slow)).toBe("DEMO_DEADLINE");
    for (const bad of ["/slow", "/slow?ms=-1", "/slow?ms=abc", "/slow?ms=60001"]) {
      const response = await request(bad);
      expect(response.status, bad).toBe(400);
      expect(await errorCode(response)).toBe("DEMO_BAD_PARAMETER");
    }
  });

  it("GET /stats counts every request answered before it, by status", async () => {
    const before = (await (await request("/stats")).json()) as { requests: { total: number; byStatus: Record<string, number> } };
    // Every body is read: an HTTP/3 client keeps a stream whose response body nobody read open.
    await (await request("/")).text();
    await (await request("/no/such/route")).text();
    await (await post("/notes", "{")).text();
    const after = (await (await request("/stats")).json()) as { requests: { total: number; byStatus: Record<string, number> } };
    // The three requests plus the first /stats itself.
    expect(after.requests.total).toBe(before.requests.total + 4);
    const delta = (status: string): number => (after.requests.byStatus[status] ?? 0) - (before.requests.byStatus[status] ?? 0);
    expect([delta("200"), delta("400"), delta("404")]).toEqual([2, 1, 1]);
  });
}
