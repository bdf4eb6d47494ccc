import { describe, expect, it } from "vitest";
import { K_INITIAL_RTT, RttEstimator } from "../../src/proto/recovery/rtt.js";

const confirmed = { handshakeConfirmed: true, maxAckDelay: 25 };
const unconfirmed = { handshakeConfirmed: false, maxAckDelay: 25 };

describe("RttEstimator (RFC 9002 §5)", () => {
  it("starts from kInitialRtt = 333 ms with rttvar = kInitialRtt / 2, so the first PTO is about 1 s (§6.2.2)", () => {
    const rtt = new RttEstimator();
    expect(rtt.smoothedRtt).toBe(K_INITIAL_RTT);
    expect(rtt.rttvar).toBe(K_INITIAL_RTT / 2);
    expect(rtt.ptoBase()).toBe(333 + 4 * 166.5);
    expect(rtt.hasSample).toBe(false);
  });

  it("resets the estimator on the first sample, ignoring its ack delay (§5.3)", () => {
    const rtt = new RttEstimator();
    rtt.update(100, 50, confirmed);
    expect(rtt.minRtt).toBe(100);
    expect(rtt.smoothedRtt).toBe(100);
    expect(rtt.rttvar).toBe(50);
    expect(rtt.latestRtt).toBe(100);
  });

  it("subtracts the ack delay and updates rttvar from the previous smoothed_rtt, then smoothed_rtt (Appendix A.7)", () => {
    const rtt = new RttEstimator();
    rtt.update(100, 0, confirmed);
    rtt.update(120, 10, confirmed);
    // adjusted = 110; rttvar = 3/4 * 50 + 1/4 * |100 - 110| = 40; smoothed = 7/8 * 100 + 1/8 * 110.
    expect(rtt.rttvar).toBe(40);
    expect(rtt.smoothedRtt).toBe(101.25);
    expect(rtt.minRtt).toBe(100);
  });

  it("caps the ack delay at max_ack_delay only once the handshake is confirmed (§5.3)", () => {
    const after = new RttEstimator();
    after.update(100, 0, confirmed);
    after.update(200, 50, confirmed); // adjusted = 200 - 25
    expect(after.smoothedRtt).toBe(0.875 * 100 + 0.125 * 175);

    const before = new RttEstimator();
    before.update(100, 0, unconfirmed);
    before.update(200, 50, unconfirmed); // adjusted = 200 - 50
    expect(before.smoothedRtt).toBe(0.875 * 100 + 0.125 * 150);
  });

  it("never subtracts an ack delay that would take the sample below min_rtt (§5.3)", () => {
    const rtt = new RttEstimator();
    rtt.update(100, 0, confirmed);
    rtt.update(110, 20, confirmed); // 110 < 100 + 20: the sample is used unadjusted
    expect(rtt.smoothedRtt).toBe(0.875 * 100 + 0.125 * 110);
  });

  it("keeps min_rtt on raw samples, unadjusted for ack delay (§5.2)", () => {
    const rtt = new RttEstimator();
    rtt.update(100, 0, confirmed);
    rtt.update(90, 20, confirmed);
    expect(rtt.minRtt).toBe(90);
    rtt.update(300, 0, confirmed);
    expect(rtt.minRtt).toBe(90);
  });

  it("sets min_rtt to the newest sample after persistent congestion (§5.2)", () => {
    const rtt = new RttEstimator();
    rtt.update(50, 0, confirmed);
    rtt.update(400, 0, confirmed);
    rtt.onPersistentCongestion();
    expect(rtt.minRtt).toBe(400);
  });

  it("forgets every sample on reset (a new path, RFC 9000 §9.4)", () => {
    const rtt = new RttEstimator(100);
    rtt.update(20, 0, confirmed);
    rtt.reset();
    expect(rtt.smoothedRtt).toBe(100);
    expect(rtt.rttvar).toBe(50);
    expect(rtt.hasSample).toBe(false);
    expect(() => new RttEstimator(0)).toThrow(RangeError);
  });
});
