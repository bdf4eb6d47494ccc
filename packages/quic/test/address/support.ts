/** Helpers of the address-validation tests: deterministic entropy, so a failing run replays exactly. */
import type { ClientConfig, ServerConfig } from "../../src/proto/config.js";
import { resolveEndpointConfig } from "../../src/proto/config.js";
import type { Connection } from "../../src/proto/connection/connection.js";
import type { AddressValidationOptions } from "../../src/proto/endpoint/address-validation.js";
import { Endpoint } from "../../src/proto/endpoint.js";
import type { SimAddress, SimHost } from "../proto/sim-network.js";
import { EventRecordingHost } from "../proto/support.js";

/** xorshift32 bytes from a seed: deterministic, not cryptographic (tests only). */
export function seededBytes(seed: number): (out: Uint8Array) => void {
  let x = (seed * 2654435761) >>> 0 || 1;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
  };
}

/**
 * An {@link Endpoint} on the simulated network with its address-validation
 * options, a copy of every datagram it receives (to read headers and
 * tokens off the wire), an optional `tamper` hook for incoming datagrams,
 * and `restart()`: a new Endpoint at the same address, as after a crash.
 */
export class ValidationHost extends EventRecordingHost implements SimHost {
  endpoint: Endpoint;
  readonly received: Uint8Array[] = [];
  tamper: ((datagram: Uint8Array) => Uint8Array | undefined) | undefined;

  constructor(
    readonly address: SimAddress,
    readonly random: (out: Uint8Array) => void,
    readonly server: ServerConfig | undefined,
    readonly validation: AddressValidationOptions = {},
    readonly versions?: readonly number[],
  ) {
    super();
    this.endpoint = this.#make(validation);
  }

  #make(validation: AddressValidationOptions): Endpoint {
    return new Endpoint(
      resolveEndpointConfig({ random: this.random, addressValidation: validation, versions: this.versions }),
      this.server,
    );
  }

  /** Forgets every connection, as a process restart would; `validation` may keep the same keys. */
  restart(validation: AddressValidationOptions = this.validation): void {
    this.endpoint = this.#make(validation);
    this.connections.length = 0;
  }

  connect(now: number, config: ClientConfig, to: SimAddress, token?: Uint8Array): Connection {
    const conn = this.endpoint.connect(now, config, to, token);
    this.track(conn);
    return conn;
  }

  handleDatagram(now: number, datagram: Uint8Array, from: SimAddress): void {
    const input = this.tamper === undefined ? datagram : this.tamper(datagram);
    if (input === undefined) return;
    this.received.push(input.slice());
    this.endpoint.handleDatagram(now, input, from);
    this.collect();
  }

  handleTimeout(now: number): void {
    this.endpoint.handleTimeout(now);
    this.collect();
  }

  pollTransmit(now: number, buffer: Uint8Array): { length: number; to: SimAddress } | undefined {
    const t = this.endpoint.pollTransmit(now, buffer);
    return t === undefined ? undefined : { length: t.length, to: t.to };
  }

  pollTimeout(): number | undefined {
    return this.endpoint.pollTimeout();
  }
}
