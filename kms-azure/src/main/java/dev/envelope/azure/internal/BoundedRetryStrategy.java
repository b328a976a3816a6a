package dev.envelope.azure.internal;

import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.ExponentialBackoff;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.RetryStrategy;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The Azure SDK's exponential backoff, with one bound added: a throttling answer whose
 * {@code Retry-After} asks for longer than the operation's deadline is not retried, so the caller
 * gets a retryable error at once instead of a thread asleep past its deadline. Shorter
 * {@code Retry-After} values are honoured by the SDK's {@code RetryPolicy}, which reads the header
 * itself.
 */
public final class BoundedRetryStrategy implements RetryStrategy {
  /** What Key Vault and the SDK treat as transient. 501 and 505 are not. */
  private static final Set<Integer> RETRYABLE = Set.of(408, 429, 500, 502, 503, 504);
  private static final HttpHeaderName RETRY_AFTER_MS = HttpHeaderName.fromString("retry-after-ms");
  private static final HttpHeaderName X_MS_RETRY_AFTER_MS = HttpHeaderName.fromString("x-ms-retry-after-ms");

  private final ExponentialBackoff backoff;
  private final int maxRetries;
  private final Duration maxRetryAfter;

  public BoundedRetryStrategy(int maxRetries, Duration baseDelay, Duration maxDelay, Duration maxRetryAfter) {
    this.maxRetries = maxRetries;
    this.maxRetryAfter = maxRetryAfter;
    // ExponentialBackoff refuses 0 retries; with 0 it is never asked for a delay anyway.
    this.backoff = new ExponentialBackoff(new ExponentialBackoffOptions().setMaxRetries(Math.max(1, maxRetries))
        .setBaseDelay(baseDelay).setMaxDelay(maxDelay));
  }

  @Override
  public int getMaxRetries() {
    return maxRetries;
  }

  @Override
  public Duration calculateRetryDelay(int retryAttempts) {
    return backoff.calculateRetryDelay(retryAttempts);
  }

  @Override
  public boolean shouldRetry(HttpResponse response) {
    if (!RETRYABLE.contains(response.getStatusCode())) {
      return false;
    }
    Duration asked = retryAfter(response);
    return asked == null || asked.compareTo(maxRetryAfter) <= 0;
  }

  @Override
  public boolean shouldRetryException(Throwable throwable) {
    return backoff.shouldRetryException(throwable);
  }

  /** The wait the service asked for, or null if it named none (or none that parses). */
  static @Nullable Duration retryAfter(HttpResponse response) {
    for (HttpHeaderName ms : new HttpHeaderName[] {X_MS_RETRY_AFTER_MS, RETRY_AFTER_MS}) {
      String v = response.getHeaderValue(ms);
      if (v != null) {
        try {
          return Duration.ofMillis(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
          // fall through to the next header
        }
      }
    }
    String v = response.getHeaderValue(HttpHeaderName.RETRY_AFTER);
    if (v == null) {
      return null;
    }
    try {
      return Duration.ofSeconds(Long.parseLong(v.trim()));
    } catch (NumberFormatException e) {
      try {
        Duration d = Duration.between(OffsetDateTime.now(),
            OffsetDateTime.parse(v.trim(), DateTimeFormatter.RFC_1123_DATE_TIME));
        return d.isNegative() ? Duration.ZERO : d;
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }
}
