/**
 * The traffic secrets of one connection once its PSK stage is fixed
 * (RFC 9846 §7.1-7.2): the handshake secrets at ServerHello, the application
 * and exporter secrets at the server Finished, the resumption secret at the
 * client Finished, each direction's KeyUpdate chain, and both Finished MACs.
 * Client and server derive the very same secrets at the same transcript
 * points and differ only in which they read and which they write, so both
 * engines keep them here, and every secret reaches the key log under its NSS
 * label (keylog.ts) in the order both sides have always logged them.
 *
 * @example
 * ```ts
 * import { getProvider } from "@zsync/crypto";
 * import { cipherSuiteByName } from "@zsync/crypto/tls";
 * import { KeySchedule } from "./key-schedule.js";
 * import { TrafficSecrets } from "./traffic-secrets.js";
 * declare const ecdhe: Uint8Array;
 * declare const helloHash: Uint8Array;
 * const schedule = new KeySchedule(getProvider(), cipherSuiteByName("TLS_AES_128_GCM_SHA256"));
 * schedule.inputPsk(undefined);
 * const secrets = new TrafficSecrets(schedule, (label, secret) => console.log(label, secret.length));
 * secrets.enterHandshake(ecdhe, helloHash);
 * const readKey = secrets.handshake("server"); // what a client reads the server's flight with
 * ```
 * @module
 */
import { bytesEqual } from "../../primitives/constant-time.js";
import { TlsProtocolError } from "../errors.js";
import { AlertDescription } from "../wire/constants.js";
import type { CipherSuite } from "./cipher-suites.js";
import { type KeySchedule, nextTrafficSecret } from "./key-schedule.js";

/** The endpoint a secret belongs to: the one that writes with it. */
export type Side = "client" | "server";

/** Receives each secret as it is derived, with its NSS key log label. */
export type SecretLog = (label: string, secret: Uint8Array) => void;

const LOG_PREFIX = { client: "CLIENT", server: "SERVER" } as const;

/**
 * One connection's secrets from its Early Secret on. Which side reads with a
 * secret is the caller's business: every secret is named here by the side
 * that writes with it, as the key log and RFC 9846 name them.
 */
export class TrafficSecrets {
  readonly suite: CipherSuite;
  readonly #schedule: KeySchedule;
  readonly #log: SecretLog;
  #handshake: Record<Side, Uint8Array> | undefined;
  #application: Record<Side, Uint8Array> | undefined;
  readonly #updates: Record<Side, number> = { client: 0, server: 0 };

  /** `schedule` is at its Early Secret stage (`inputPsk` called, with the PSK or without). */
  constructor(schedule: KeySchedule, log: SecretLog) {
    this.suite = schedule.suite;
    this.#schedule = schedule;
    this.#log = log;
  }

  /** Mixes in the (EC)DHE secret, then derives and logs both handshake traffic secrets over ClientHello..ServerHello. */
  enterHandshake(sharedSecret: Uint8Array, transcriptHash: Uint8Array): void {
    const schedule = this.#schedule;
    schedule.inputSharedSecret(sharedSecret);
    const client = schedule.derive("c hs traffic", transcriptHash);
    const server = schedule.derive("s hs traffic", transcriptHash);
    this.#handshake = { client, server };
    this.#log("CLIENT_HANDSHAKE_TRAFFIC_SECRET", client);
    this.#log("SERVER_HANDSHAKE_TRAFFIC_SECRET", server);
  }

  /** The handshake traffic secret `side` writes with. */
  handshake(side: Side): Uint8Array {
    if (this.#handshake === undefined) throw new RangeError("handshake traffic secrets are not derived yet");
    return this.#handshake[side];
  }

  /** The verify_data of `side`'s Finished over `transcriptHash` (everything before that Finished). */
  finished(side: Side, transcriptHash: Uint8Array): Uint8Array {
    return this.#schedule.finishedMac(this.handshake(side), transcriptHash);
  }

  /** Throws decrypt_error unless `verifyData` is `side`'s Finished over `transcriptHash` (compared in constant time). */
  checkFinished(side: Side, transcriptHash: Uint8Array, verifyData: Uint8Array): void {
    if (!bytesEqual(this.finished(side, transcriptHash), verifyData))
      throw new TlsProtocolError(AlertDescription.decrypt_error, `${side} Finished does not verify`);
  }

  /** Moves to the Master Secret, then derives and logs both application traffic secrets and the exporter secret over ClientHello..server Finished. */
  enterApplication(transcriptHash: Uint8Array): void {
    const schedule = this.#schedule;
    schedule.toMaster();
    const client = schedule.derive("c ap traffic", transcriptHash);
    const server = schedule.derive("s ap traffic", transcriptHash);
    this.#application = { client, server };
    this.#log("CLIENT_TRAFFIC_SECRET_0", client);
    this.#log("SERVER_TRAFFIC_SECRET_0", server);
    this.#log("EXPORTER_SECRET", schedule.derive("exp master", transcriptHash));
  }

  /** The current application traffic secret `side` writes with. */
  application(side: Side): Uint8Array {
    if (this.#application === undefined) throw new RangeError("application traffic secrets are not derived yet");
    return this.#application[side];
  }

  /** KeyUpdate (§7.2): replaces `side`'s application traffic secret by the next in its chain, logs it and returns it. */
  update(side: Side): Uint8Array {
    const next = nextTrafficSecret(this.#schedule.provider, this.suite, this.application(side));
    (this.#application as Record<Side, Uint8Array>)[side] = next;
    this.#updates[side]++;
    this.#log(`${LOG_PREFIX[side]}_TRAFFIC_SECRET_${this.#updates[side]}`, next);
    return next;
  }

  /** resumption_master_secret over ClientHello..client Finished, the root of every ticket's PSK. */
  resumption(transcriptHash: Uint8Array): Uint8Array {
    return this.#schedule.derive("res master", transcriptHash);
  }
}
