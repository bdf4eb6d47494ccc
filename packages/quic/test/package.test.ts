import { describe, expect, it } from "vitest";
import * as proto from "../src/proto/index.js";

describe("@zsync/quic/proto", () => {
  it("loads as an ES module", () => {
    expect(typeof proto).toBe("object");
  });
});
