// The demo service's endpoints (test/service-cases.ts), called directly
// with Fetch `Request` objects: the handlers' behaviour without a transport.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";
import { DemoService } from "../src/service/demo-service.js";
import { type ServiceUnderTest, serviceCases } from "./service-cases.js";

describe("demo service, called directly", () => {
  let dir = "";
  let service: DemoService | undefined;
  let underTest: ServiceUnderTest | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "zsync-demo-service-"));
    const options = { directory: dir, deadlineMs: 100, maxBodyBytes: 4 * 1024 * 1024 };
    const opened = await DemoService.open(options);
    service = opened;
    underTest = { send: (request) => opened.handle(request), origin: "https://localhost", ...options };
  });

  afterAll(async () => {
    await service?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  serviceCases(() => underTest!);
});
