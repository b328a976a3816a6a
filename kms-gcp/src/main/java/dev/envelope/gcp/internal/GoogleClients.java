package dev.envelope.gcp.internal;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcCallContext;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiCallContext;
import com.google.api.gax.rpc.ClientSettings;
import com.google.api.gax.rpc.StatusCode;
import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.Set;
import java.util.zip.CRC32C;

/** What the Cloud KMS key and the Secret Manager store share about Google's gRPC clients. */
public final class GoogleClients {
  /** Retried by the Google client within a call's deadline, and retryable when they outlast it. */
  public static final Set<StatusCode.Code> RETRYABLE_CODES = Set.of(
      StatusCode.Code.UNAVAILABLE, StatusCode.Code.RESOURCE_EXHAUSTED, StatusCode.Code.DEADLINE_EXCEEDED);

  private static final Duration INITIAL_BACKOFF = Duration.ofMillis(50);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
  private static final Duration MIN_ATTEMPT_TIMEOUT = Duration.ofMillis(250);

  private GoogleClients() {}

  /**
   * Points client settings at an endpoint override. A loopback endpoint (the testkit fake) gets a
   * plaintext channel and no credentials; any other keeps TLS and Application Default Credentials.
   */
  public static void applyEndpoint(ClientSettings.Builder<?, ?> settings, Endpoint endpoint) {
    settings.setEndpoint(endpoint.target());
    if (endpoint.isLoopback()) {
      settings.setCredentialsProvider(NoCredentialsProvider.create())
          .setTransportChannelProvider(InstantiatingGrpcChannelProvider.newBuilder()
              .setEndpoint(endpoint.target())
              .setChannelConfigurator(b -> b.usePlaintext())
              .build());
    }
  }

  /**
   * A call context whose retries (exponential backoff with the Google client's jitter, on
   * {@link #RETRYABLE_CODES}) end after {@code left}; one attempt may take a quarter of
   * {@code deadline}, at least 250 ms, at most {@code left}. Overrides a caller-built client's own
   * retry settings, so every call is bounded the same way.
   */
  public static ApiCallContext callContext(Duration left, Duration deadline) {
    Duration attemptTimeout = deadline.dividedBy(4);
    if (attemptTimeout.compareTo(MIN_ATTEMPT_TIMEOUT) < 0) {
      attemptTimeout = MIN_ATTEMPT_TIMEOUT;
    }
    if (attemptTimeout.compareTo(left) > 0) {
      attemptTimeout = left;
    }
    RetrySettings retry = RetrySettings.newBuilder()
        .setTotalTimeoutDuration(left)
        .setInitialRetryDelayDuration(INITIAL_BACKOFF)
        .setRetryDelayMultiplier(2.0)
        .setMaxRetryDelayDuration(MAX_BACKOFF)
        .setInitialRpcTimeoutDuration(attemptTimeout)
        .setRpcTimeoutMultiplier(1.0)
        .setMaxRpcTimeoutDuration(attemptTimeout)
        .build();
    return GrpcCallContext.createDefault().withRetrySettings(retry).withRetryableCodes(RETRYABLE_CODES);
  }

  public static long crc32c(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return crc.getValue();
  }

  public static long crc32c(ByteString data) {
    CRC32C crc = new CRC32C();
    crc.update(data.asReadOnlyByteBuffer());
    return crc.getValue();
  }
}
