package dev.envelope.core;

import java.time.Duration;
import java.util.Objects;

/**
 * When a {@link FieldEncryptor} replaces its data key with a new one: after a maximum age or a
 * maximum number of encrypted values, whichever comes first (docs/fields.md §4).
 *
 * <pre>{@code
 * DataKeyRotation.every(Duration.ofDays(30)).orAfterMessages(1L << 28)
 * }</pre>
 *
 * <p>The count is never unbounded: every value gets a random 96-bit nonce, and NIST SP 800-38D
 * §8.3 allows at most 2^32 of them per key. A data key is only ever used to encrypt by the one
 * encryptor that created it, so the count is exact; the default of 2^28 keeps the probability of
 * a repeated nonce under one key below 2^-41.
 */
public final class DataKeyRotation {
  /** Largest value count per data key: the NIST bound for random 96-bit nonces. */
  public static final long MAX_MESSAGES_LIMIT = 1L << 32;
  /** Default value count per data key. */
  public static final long DEFAULT_MAX_MESSAGES = 1L << 28;
  /** Default age at which a data key is replaced. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofDays(30);
  private static final Duration MAX_AGE_LIMIT = Duration.ofDays(3650);

  private static final DataKeyRotation DEFAULTS = new DataKeyRotation(DEFAULT_MAX_AGE, DEFAULT_MAX_MESSAGES);

  private final Duration maxAge;
  private final long maxMessages;

  private DataKeyRotation(Duration maxAge, long maxMessages) {
    this.maxAge = maxAge;
    this.maxMessages = maxMessages;
  }

  /** 30 days or 2^28 values, whichever comes first. */
  public static DataKeyRotation defaults() {
    return DEFAULTS;
  }

  /**
   * A new data key at least every {@code maxAge} (and after {@link #DEFAULT_MAX_MESSAGES} values
   * unless {@link #orAfterMessages} says otherwise).
   *
   * @throws IllegalArgumentException unless 0 &lt; maxAge &le; 3650 days
   */
  public static DataKeyRotation every(Duration maxAge) {
    Objects.requireNonNull(maxAge, "maxAge");
    if (maxAge.isNegative() || maxAge.isZero() || maxAge.compareTo(MAX_AGE_LIMIT) > 0) {
      throw new IllegalArgumentException("data-key rotation age must be > 0 and at most 3650 days");
    }
    return new DataKeyRotation(maxAge, DEFAULT_MAX_MESSAGES);
  }

  /**
   * The same age, and a new data key after {@code maxMessages} values.
   *
   * @throws IllegalArgumentException unless 1 &le; maxMessages &le; 2^32
   */
  public DataKeyRotation orAfterMessages(long maxMessages) {
    if (maxMessages < 1 || maxMessages > MAX_MESSAGES_LIMIT) {
      throw new IllegalArgumentException("values per data key must be 1..2^32 (the random-nonce bound)");
    }
    return new DataKeyRotation(maxAge, maxMessages);
  }

  public Duration maxAge() {
    return maxAge;
  }

  public long maxMessages() {
    return maxMessages;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DataKeyRotation r && r.maxAge.equals(maxAge) && r.maxMessages == maxMessages;
  }

  @Override
  public int hashCode() {
    return maxAge.hashCode() * 31 + Long.hashCode(maxMessages);
  }

  @Override
  public String toString() {
    return "DataKeyRotation[every " + maxAge + " or after " + maxMessages + " values]";
  }
}
