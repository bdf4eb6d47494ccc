/**
 * The message rules of RFC 9114 §4.2-4.3 on their own: what is accepted (the
 * connection-level tests cover each refusal as a stream reset).
 */
import { describe, expect, it } from "vitest";
import { Http3MessageError } from "../../src/h3/errors.js";
import { BodyLength, checkRegularField, parseRequestFields, parseResponseFields, parseTrailerFields } from "../../src/h3/message.js";
import { getRequest } from "./pair.js";

describe("message rules (RFC 9114 §4.2-4.3)", () => {
  it("a request with host instead of :authority takes its authority from host (§4.3.1)", () => {
    const fields = [...getRequest().filter((f) => f.name !== ":authority"), { name: "host", value: "example.com:8443" }];
    expect(parseRequestFields(fields)).toMatchObject({ method: "GET", scheme: "https", authority: "example.com:8443", path: "/" });
  });

  it("CONNECT carries only :method and :authority (§4.4)", () => {
    expect(
      parseRequestFields([
        { name: ":method", value: "CONNECT" },
        { name: ":authority", value: "example.com:443" },
      ]),
    ).toMatchObject({
      method: "CONNECT",
      authority: "example.com:443",
      scheme: undefined,
      path: undefined,
    });
    expect(() => parseRequestFields([{ name: ":method", value: "CONNECT" }])).toThrow(Http3MessageError);
  });

  it("a scheme other than http(s) needs no authority; methods are case-sensitive tokens", () => {
    expect(
      parseRequestFields([
        { name: ":method", value: "PURGE" },
        { name: ":scheme", value: "foo" },
        { name: ":path", value: "*" },
      ]).method,
    ).toBe("PURGE");
    expect(() => parseRequestFields([{ name: ":method", value: "GE T" }, ...getRequest().slice(1)])).toThrow(/not a token/);
  });

  it("content-length: repeated equal values are one value, different ones are malformed (RFC 9110 §8.6)", () => {
    expect(parseRequestFields(getRequest("/", [{ name: "content-length", value: "5, 5" }])).contentLength).toBe(5);
    expect(
      parseRequestFields(
        getRequest("/", [
          { name: "content-length", value: "5" },
          { name: "content-length", value: "5" },
        ]),
      ).contentLength,
    ).toBe(5);
    expect(() => parseRequestFields(getRequest("/", [{ name: "content-length", value: "5, 6" }]))).toThrow(/differ/);
  });

  it("te: trailers is the one te allowed (§4.2)", () => {
    expect(() => checkRegularField("te", "trailers")).not.toThrow();
    expect(() => checkRegularField("te", "trailers, deflate")).toThrow(Http3MessageError);
  });

  it("responses: any three-digit status but 101; interim 1xx are valid", () => {
    expect(parseResponseFields([{ name: ":status", value: "103" }]).status).toBe(103);
    expect(
      parseResponseFields([
        { name: ":status", value: "599" },
        { name: "x", value: "y" },
      ]),
    ).toEqual({
      status: 599,
      fields: [{ name: "x", value: "y" }],
      contentLength: undefined,
    });
  });

  it("trailers are regular fields only", () => {
    expect(parseTrailerFields([{ name: "x-checksum", value: "1" }])).toEqual([{ name: "x-checksum", value: "1" }]);
  });

  it("BodyLength counts against content-length, exactly", () => {
    const length = new BodyLength(3);
    length.add(2);
    expect(() => length.end()).toThrow(/content-length 3, but 2/);
    length.add(1);
    length.end();
    expect(() => length.add(1)).toThrow(/more content/);
    const none = new BodyLength(100, true);
    none.end();
    expect(() => none.add(1)).toThrow(/has none/);
  });
});
