/**
 * Http3Server and Http3Client over loopback (RFC 9114 §4.1): GET and POST
 * with fetch semantics.
 */
import { describe, expect, it } from "vitest";
import { h3Client, startH3Server, urlOf } from "./h3-support.js";

describe("HTTP/3 over loopback", () => {
  it("GET: status, headers and body", async () => {
    const server = await startH3Server({
      handler: (request) => new Response(`hello ${new URL(request.url).pathname}`, { headers: { "x-test": "yes" } }),
    });
    const client = h3Client();
    const response = await client.fetch(urlOf(server, "/a?b=c"));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-test")).toBe("yes");
    expect(await response.text()).toBe("hello /a");
  });

  it("POST echoes the body", async () => {
    const server = await startH3Server({ handler: async (request) => new Response(await request.arrayBuffer(), { status: 201 }) });
    const client = h3Client();
    const response = await client.fetch(urlOf(server, "/echo"), { method: "POST", body: "ping" });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("ping");
  });
});
