package dev.envelope.azure.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

class BoundedRetryStrategyTest {
  private final BoundedRetryStrategy strategy =
      new BoundedRetryStrategy(3, Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(10));

  private static HttpResponse response(int status, String header, String value) {
    HttpHeaders headers = new HttpHeaders();
    if (header != null) {
      headers.set(header, value);
    }
    return new HttpResponse(new HttpRequest(HttpMethod.GET, "https://v.vault.azure.net/keys/k")) {
      @Override
      public int getStatusCode() {
        return status;
      }

      @Override
      @Deprecated
      public String getHeaderValue(String name) {
        return headers.getValue(name);
      }

      @Override
      public HttpHeaders getHeaders() {
        return headers;
      }

      @Override
      public Flux<ByteBuffer> getBody() {
        return Flux.empty();
      }

      @Override
      public Mono<byte[]> getBodyAsByteArray() {
        return Mono.empty();
      }

      @Override
      public Mono<String> getBodyAsString() {
        return Mono.empty();
      }

      @Override
      public Mono<String> getBodyAsString(Charset charset) {
        return Mono.empty();
      }
    };
  }

  @Test
  void shouldRetry_transientStatuses_only() {
    for (int status : new int[] {408, 429, 500, 502, 503, 504}) {
      assertThat(strategy.shouldRetry(response(status, null, null))).as("status %d", status).isTrue();
    }
    for (int status : new int[] {400, 401, 403, 404, 409, 501, 505}) {
      assertThat(strategy.shouldRetry(response(status, null, null))).as("status %d", status).isFalse();
    }
  }

  @Test
  void shouldRetry_retryAfterWithinDeadline_true_beyond_false() {
    assertThat(strategy.shouldRetry(response(429, "Retry-After", "10"))).isTrue();
    assertThat(strategy.shouldRetry(response(429, "Retry-After", "11"))).isFalse();
    assertThat(strategy.shouldRetry(response(429, "x-ms-retry-after-ms", "10001"))).isFalse();
    assertThat(strategy.shouldRetry(response(503, "retry-after-ms", "250"))).isTrue();
  }

  @Test
  void retryAfter_formats() {
    assertThat(BoundedRetryStrategy.retryAfter(response(429, "Retry-After", "3"))).isEqualTo(Duration.ofSeconds(3));
    assertThat(BoundedRetryStrategy.retryAfter(response(429, "x-ms-retry-after-ms", "1500")))
        .isEqualTo(Duration.ofMillis(1500));
    assertThat(BoundedRetryStrategy.retryAfter(response(429, "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")))
        .isEqualTo(Duration.ZERO);
    assertThat(BoundedRetryStrategy.retryAfter(response(429, "Retry-After", "soon"))).isNull();
    assertThat(BoundedRetryStrategy.retryAfter(response(429, null, null))).isNull();
  }
}
