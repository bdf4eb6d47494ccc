/**
 * The plaintext scavenge assist: it turns on only once full collections
 * happen while plaintext flows (as on Node 20, where the dead 16 KiB record
 * buffers set them off), then runs one minor collection per budget of
 * delivered plaintext; and `TlsStream.read()` reports what it hands out.
 */
import { describe, expect, test } from "vitest";
import { type MinorCollector, plaintextScavenge, ScavengeAssist } from "../../src/tls/stream/plaintext-scavenge.js";
import { TlsListener, TlsStream } from "../../src/tls/stream/tls-stream.js";
import { testPki } from "./support.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const RECORD = 16 * KiB;

interface Probe {
  readonly assist: ScavengeAssist;
  readonly calls: { collections: number; loads: number; decided: number };
}

/** `collector` null: there is none in this process. */
function probe(collector: MinorCollector | null = () => {}, clock: { ms: number } = { ms: 0 }): Probe {
  const calls = { collections: 0, loads: 0, decided: 0 };
  const assist = new ScavengeAssist({
    slowCollectionMs: 4,
    slowLimit: 3,
    now: () => clock.ms,
    budgetBytes: 8 * MiB,
    gapBytes: 128 * MiB,
    majorThreshold: 2,
    observeBytes: 1024 * MiB,
    loadCollector: () => {
      calls.loads++;
      return collector === null
        ? undefined
        : () => {
            calls.collections++;
            collector();
          };
    },
    onDecided: () => calls.decided++,
  });
  return { assist, calls };
}

/** Delivers `bytes` in 16 KiB records. */
function deliver(assist: ScavengeAssist, bytes: number): void {
  for (let n = 0; n < bytes; n += RECORD) assist.noteDelivered(RECORD);
}

/** Two full collections, each after some delivered plaintext. */
function majorsWhileReading(assist: ScavengeAssist): void {
  for (let i = 0; i < 2; i++) {
    assist.noteDelivered(RECORD);
    assist.noteMajor();
  }
}

describe("ScavengeAssist", () => {
  test("without full collections it never collects, and stops watching after observeBytes", () => {
    const { assist, calls } = probe();
    deliver(assist, 512 * MiB);
    expect(assist.state).toBe("watching");
    deliver(assist, 512 * MiB);
    expect(assist.state).toBe("off");
    expect(calls).toEqual({ collections: 0, loads: 0, decided: 1 });
    assist.noteMajor();
    assist.noteMajor();
    deliver(assist, 64 * MiB);
    expect(calls.collections).toBe(0);
  });

  test("two full collections 10 MiB of plaintext apart turn it on: then one minor collection per 8 MiB delivered", () => {
    const { assist, calls } = probe();
    deliver(assist, 10 * MiB);
    assist.noteMajor();
    deliver(assist, 10 * MiB);
    assist.noteMajor();
    assist.noteDelivered(RECORD); // decides on the next delivery
    expect(assist.state).toBe("on");
    expect(calls.loads).toBe(1);
    expect(calls.decided).toBe(1);
    deliver(assist, 64 * MiB);
    expect(calls.collections).toBe(8);
    expect(assist.collections).toBe(8);
    deliver(assist, 8 * MiB - RECORD);
    expect(calls.collections).toBe(8);
    assist.noteDelivered(RECORD);
    expect(calls.collections).toBe(9);
    expect(calls.loads).toBe(1);
  });

  test("full collections more than 128 MiB of plaintext apart are V8's own pace, not ours: it stays off", () => {
    const { assist, calls } = probe();
    for (let w = 0; w < 6; w++) {
      deliver(assist, 128 * MiB + RECORD);
      assist.noteMajor();
    }
    expect(assist.state).toBe("watching");
    expect(calls.collections).toBe(0);
  });

  test("full collections with no plaintext delivered in between count once: another workload's are not ours", () => {
    const { assist, calls } = probe();
    deliver(assist, MiB);
    for (let i = 0; i < 10; i++) assist.noteMajor();
    deliver(assist, 129 * MiB);
    expect(assist.state).toBe("watching");
    expect(calls.collections).toBe(0);
    assist.noteMajor();
    deliver(assist, RECORD);
    assist.noteMajor();
    deliver(assist, RECORD);
    expect(assist.state).toBe("on");
  });

  test("no collector here: it turns off instead of on, and is not asked again", () => {
    const { assist, calls } = probe(null);
    majorsWhileReading(assist);
    deliver(assist, 64 * MiB);
    expect(assist.state).toBe("off");
    expect(calls.loads).toBe(1);
    expect(assist.collections).toBe(0);
  });

  test("three slow minor collections in a row turn it off; a fast one in between resets the count", () => {
    const clock = { ms: 0 };
    const durations = [5, 5, 1, 5, 5, 3, 5, 1];
    let call = 0;
    const { assist, calls } = probe(() => {
      clock.ms += durations[call++] ?? 0;
    }, clock);
    majorsWhileReading(assist);
    assist.noteDelivered(RECORD); // turns it on
    deliver(assist, 64 * MiB);
    expect(calls.collections).toBe(8);
    expect(assist.state).toBe("on");
    const more = [5, 5, 5, 1];
    durations.push(...more);
    deliver(assist, 64 * MiB);
    expect(calls.collections).toBe(11);
    expect(assist.state).toBe("off");
  });

  test("a collector that throws is dropped, and delivery carries on", () => {
    let attempts = 0;
    const { assist } = probe(() => {
      attempts++;
      throw new Error("no gc here");
    });
    majorsWhileReading(assist);
    expect(() => deliver(assist, 64 * MiB)).not.toThrow();
    expect(attempts).toBe(1);
    expect(assist.state).toBe("off");
  });
});

describe("TlsStream reports the plaintext it hands out", () => {
  test("every byte read() returns is counted once by the process-wide assist", async () => {
    const pki = testPki();
    const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
    await using listener = await TlsListener.bind({ credentials });
    const connecting = TlsStream.connect({ port: listener.port, serverName: "localhost", ca: pki.ca.certificatePem });
    await using server = await listener.accept();
    await using client = await connecting;
    const before = plaintextScavenge().delivered;
    const total = 3 * MiB + 123;
    const written = client.write(new Uint8Array(total).fill(7)).then(() => client.end());
    let got = 0;
    for await (const chunk of server) got += chunk.length;
    await written;
    expect(got).toBe(total);
    expect(plaintextScavenge().delivered - before).toBe(total);
  });

  test("a stream opened with collectionAssist: false reports nothing, so its reads never run a collection", async () => {
    const pki = testPki();
    const credentials = { certificate: pki.leaf.certificatePem, privateKey: pki.leaf.privateKeyPem };
    await using listener = await TlsListener.bind({ credentials, collectionAssist: false });
    const connecting = TlsStream.connect({
      port: listener.port,
      serverName: "localhost",
      ca: pki.ca.certificatePem,
      collectionAssist: false,
    });
    await using server = await listener.accept();
    await using client = await connecting;
    const before = plaintextScavenge().delivered;
    const total = MiB + 17;
    const written = client.write(new Uint8Array(total).fill(3)).then(() => client.end());
    let got = 0;
    for await (const chunk of server) got += chunk.length;
    await written;
    expect(got).toBe(total);
    expect(plaintextScavenge().delivered - before).toBe(0);
  });
});
