/**
 * The server endpoint's address-validation policy (RFC 9000 §8.1): what to
 * do with a client Initial that would open a connection, given its Token
 * field, and the keys behind tokens and stateless resets.
 *
 * The decision table (§8.1.2, §8.1.3):
 *
 * | token in the Initial                      | decision                                                             |
 * | ----------------------------------------- | -------------------------------------------------------------------- |
 * | a valid Retry token, sent to its Retry CID | accept; address validated; ODCID and RSCID go in transport params   |
 * | a Retry token that does not validate       | close with INVALID_TOKEN (the client will not follow another Retry) |
 * | a valid NEW_TOKEN token, first use         | accept; address validated (no Retry even when Retry is on)          |
 * | none, a NEW_TOKEN token that fails or is replayed | Retry when the policy asks for one, else accept unvalidated  |
 *
 * A failed NEW_TOKEN token is treated as no token, not as an error (§8.1.3
 * note: the server may simply have lost the key). "Accept unvalidated"
 * means the connection obeys the 3x anti-amplification limit until the
 * handshake validates the address.
 *
 * Keys: the token key and the stateless reset key default to fresh random
 * bytes per endpoint, which is safe but means tokens and resets do not
 * survive a restart; a deployment that wants them to (the point of
 * stateless reset) passes static keys, kept secret and shared only by the
 * servers behind one address.
 *
 * @module
 */
import type { CryptoProvider } from "@zsync/crypto";
import {
  ADDRESS_TOKEN_KEY_LENGTH,
  AddressTokenKey,
  type AddressTokenOptions,
  addressTokenNonce,
  type TokenAddress,
} from "../crypto/address-token.js";
import { STATELESS_RESET_KEY_LENGTH, StatelessResetKey } from "../crypto/stateless-reset.js";
import type { PacketHeader } from "../wire/packet-header.js";
import type { StatelessResetLimits } from "./stateless-reset.js";
import { TokenReplayFilter } from "./token-replay.js";

/** Decides per client Initial whether to demand a Retry (e.g. only under load: `() => connections > 1000`). */
export type RetryPolicy = (remote: TokenAddress, now: number) => boolean;

/** Address-validation and stateless-reset settings of an endpoint (`EndpointConfig.addressValidation`). */
export interface AddressValidationOptions {
  /** Demand a Retry round trip from clients without a valid token: always, never (default) or per Initial. */
  readonly retry?: boolean | RetryPolicy;
  /** 32 secret bytes protecting address-validation tokens (default: random per endpoint). */
  readonly tokenKey?: Uint8Array;
  /** 32 secret bytes from which stateless reset tokens are derived (default: random per endpoint). */
  readonly statelessResetKey?: Uint8Array;
  /** Token lifetimes (Retry 10 s, NEW_TOKEN 24 h by default) and retired keys still accepted after a rotation (`previousKeys`). */
  readonly tokens?: AddressTokenOptions;
  /** Send a NEW_TOKEN frame once the handshake is confirmed (default true). */
  readonly sendNewTokens?: boolean;
  /** Rate limit of stateless resets, or false to never send one (default: 50/s, bursts of 20). */
  readonly statelessResets?: StatelessResetLimits | false;
  /** NEW_TOKEN tokens remembered to accept each once (default 10,000; 0 disables); see endpoint/token-replay.ts. */
  readonly newTokenReplayCapacity?: number;
}

/** What the endpoint does with a client Initial for no known connection. */
export type InitialDecision =
  | {
      readonly action: "accept";
      /** The token proved the address (§8.1): no anti-amplification limit. */
      readonly addressValidated: boolean;
      /** Present after a Retry: the IDs the server's transport parameters must carry (§7.3). */
      readonly retry: { readonly originalDestinationCid: Uint8Array; readonly retrySourceCid: Uint8Array } | undefined;
    }
  | { readonly action: "retry" }
  | { readonly action: "invalid-token" };

/** The endpoint's token and reset keys and its Retry policy; see the module comment. */
export class AddressValidator {
  readonly tokens: AddressTokenKey;
  readonly resetKey: StatelessResetKey;
  readonly sendNewTokens: boolean;
  readonly resetLimits: StatelessResetLimits | false;
  readonly #retry: boolean | RetryPolicy;
  readonly #replay: TokenReplayFilter;

  constructor(provider: CryptoProvider, random: (out: Uint8Array) => void, options: AddressValidationOptions = {}) {
    this.tokens = new AddressTokenKey(provider, options.tokenKey ?? randomKey(random, ADDRESS_TOKEN_KEY_LENGTH), random, options.tokens);
    this.resetKey = new StatelessResetKey(provider, options.statelessResetKey ?? randomKey(random, STATELESS_RESET_KEY_LENGTH));
    this.sendNewTokens = options.sendNewTokens ?? true;
    this.resetLimits = options.statelessResets ?? {};
    this.#retry = options.retry ?? false;
    this.#replay = new TokenReplayFilter(options.newTokenReplayCapacity ?? 10_000);
  }

  /** The decision table of the module comment for `initial` (a parsed client Initial) from `remote`. */
  decide(now: number, initial: PacketHeader, remote: TokenAddress): InitialDecision {
    if (initial.token.length > 0) {
      const result = this.tokens.validate(initial.token, now, remote);
      if (result.valid) {
        if (result.kind === "new-token") {
          // §8.1.4: accepted once; a replay is treated as no token (below), not as an error.
          if (this.#replay.firstUse(addressTokenNonce(initial.token), now, result.issued + this.tokens.newTokenLifetime))
            return { action: "accept", addressValidated: true, retry: undefined };
        } else if (bytesEqual(result.retrySourceCid, initial.dcid))
          // The token must come back on the Initial sent to the Retry's SCID; anything else is a replayed token.
          return {
            action: "accept",
            addressValidated: true,
            retry: { originalDestinationCid: result.originalDestinationCid, retrySourceCid: result.retrySourceCid },
          };
        else return { action: "invalid-token" };
      } else if (result.kind === "retry") return { action: "invalid-token" };
    }
    const retry = typeof this.#retry === "function" ? this.#retry(remote, now) : this.#retry;
    return retry ? { action: "retry" } : { action: "accept", addressValidated: false, retry: undefined };
  }
}

function randomKey(random: (out: Uint8Array) => void, length: number): Uint8Array {
  const key = new Uint8Array(length);
  random(key);
  return key;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
