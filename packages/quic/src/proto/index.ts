/**
 * The sans-I/O QUIC core: wire codecs, packet protection, recovery and
 * congestion control. Nothing here touches `node:*`, timers or sockets; time
 * is always an argument (`now`, in milliseconds).
 *
 * @module
 */
export { RangeSet, type RangeSetOptions } from "./wire/range-set.js";
