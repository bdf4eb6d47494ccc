/**
 * Datagram classification for tests that hold or drop handshake traffic
 * (0.5-RTT and early-accept tests, in the simulator and through the relay).
 */
import { PacketHeader, parsePacketHeader } from "../../src/proto/wire/packet-header.js";

/**
 * Whether a datagram carries a Handshake packet among its coalesced long
 * header packets (the client's Finished or its ACKs after the first flight).
 */
export function carriesHandshakePacket(datagram: Uint8Array): boolean {
  const header = new PacketHeader();
  for (let offset = 0; offset < datagram.length; ) {
    try {
      parsePacketHeader(datagram, offset, 8, header);
    } catch {
      return false;
    }
    if (header.type === "handshake") return true;
    if (!header.long) return false;
    offset = header.end;
  }
  return false;
}
