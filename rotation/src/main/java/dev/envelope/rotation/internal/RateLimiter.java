package dev.envelope.rotation.internal;

import dev.envelope.core.Ticker;
import dev.envelope.rotation.Sleeper;

/**
 * Evenly spaced permits: permit n is granted no earlier than {@code interval} after permit n-1.
 * Idle time is not banked, so a pause (a slow commit) is never followed by a burst over the rate.
 */
final class RateLimiter {
  private final Ticker ticker;
  private final Sleeper sleeper;
  private final long intervalNanos;
  private long next = Long.MIN_VALUE;

  RateLimiter(double perSecond, Ticker ticker, Sleeper sleeper) {
    this.ticker = ticker;
    this.sleeper = sleeper;
    this.intervalNanos = perSecond > 0 ? Math.max(1, Math.round(1e9 / perSecond)) : 0;
  }

  void acquire() throws InterruptedException {
    if (intervalNanos == 0) {
      return;
    }
    long now = ticker.read();
    if (next != Long.MIN_VALUE && next - now > 0) {
      sleeper.sleep(next - now);
      now = next;
    }
    next = now + intervalNanos;
  }
}
