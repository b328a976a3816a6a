package dev.envelope.testkit.internal;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many more calls a fault applies to, shared by the Google Cloud and Azure fault settings.
 * {@link Integer#MAX_VALUE} never runs out, so an "always" fault stays always however many calls
 * take it. Thread-safe: concurrent calls never take more than were set.
 */
public final class Countdown {
  private final AtomicInteger remaining;

  public Countdown(int times) {
    this.remaining = new AtomicInteger(times);
  }

  /** Takes one, if any is left. */
  public boolean take() {
    int n;
    do {
      n = remaining.get();
      if (n <= 0) {
        return false;
      }
    } while (!remaining.compareAndSet(n, n == Integer.MAX_VALUE ? n : n - 1));
    return true;
  }
}
