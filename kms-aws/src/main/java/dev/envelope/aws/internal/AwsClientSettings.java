package dev.envelope.aws.internal;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsAsyncClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * The settings of an AWS SDK client that Envelope builds for itself, shared by
 * {@code AwsKmsMasterKey.Builder} and {@code AwsSecretStore.Builder}: validation of each value
 * (IllegalArgumentException, as the public builders promise) and the one recipe for every client
 * made from them — the standard retry strategy with {@code maxAttempts} inside the per-operation
 * deadline, the attempt timeout, the connect timeout, the region, endpoint and credentials. Sync
 * clients use the URLConnection HTTP client, the async KMS client Netty.
 *
 * <p>Mutable, for builders; {@link #copy()} before keeping it.
 */
public final class AwsClientSettings {
  /** Attempts per operation (first try included) of the SDK standard retry strategy. */
  public static final int DEFAULT_MAX_ATTEMPTS = 3;
  /** Time allowed for one operation, retries included. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);
  /** Time allowed for one HTTP attempt, capped by the deadline. */
  public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofSeconds(3);

  private static final Duration MAX_DEADLINE = Duration.ofMinutes(10);
  private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(2);
  private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d+");

  private @Nullable URI endpoint;
  private @Nullable String region;
  private @Nullable AwsCredentialsProvider credentials;
  private @Nullable Integer maxAttempts;
  private Duration deadline = DEFAULT_DEADLINE;
  private @Nullable Duration attemptTimeout;

  public AwsClientSettings copy() {
    AwsClientSettings c = new AwsClientSettings();
    c.endpoint = endpoint;
    c.region = region;
    c.credentials = credentials;
    c.maxAttempts = maxAttempts;
    c.deadline = deadline;
    c.attemptTimeout = attemptTimeout;
    return c;
  }

  public void endpoint(URI endpoint) {
    if (endpoint == null || !endpoint.isAbsolute() || endpoint.getHost() == null
        || !List.of("http", "https").contains(endpoint.getScheme())) {
      throw new IllegalArgumentException("endpoint must be an absolute http or https URI");
    }
    this.endpoint = endpoint;
  }

  public void region(String region) {
    if (region == null || !REGION.matcher(region).matches()) {
      throw new IllegalArgumentException("not an AWS region name: " + region);
    }
    this.region = region;
  }

  public void credentialsProvider(AwsCredentialsProvider credentials) {
    this.credentials = Objects.requireNonNull(credentials, "credentials");
  }

  public void maxAttempts(int maxAttempts) {
    if (maxAttempts < 1 || maxAttempts > 20) {
      throw new IllegalArgumentException("maxAttempts must be 1..20");
    }
    this.maxAttempts = maxAttempts;
  }

  public void deadline(Duration deadline) {
    if (deadline == null || deadline.isNegative() || deadline.isZero() || deadline.compareTo(MAX_DEADLINE) > 0) {
      throw new IllegalArgumentException("deadline must be positive and at most 10 minutes");
    }
    this.deadline = deadline;
  }

  public void attemptTimeout(Duration attemptTimeout) {
    if (attemptTimeout == null || attemptTimeout.isNegative() || attemptTimeout.isZero()) {
      throw new IllegalArgumentException("attemptTimeout must be positive");
    }
    this.attemptTimeout = attemptTimeout;
  }

  public @Nullable String region() {
    return region;
  }

  public Duration deadline() {
    return deadline;
  }

  /** The attempt timeout set, else the default, never more than the deadline. */
  public Duration attemptTimeout() {
    if (attemptTimeout != null) {
      return attemptTimeout;
    }
    return DEFAULT_ATTEMPT_TIMEOUT.compareTo(deadline) < 0 ? DEFAULT_ATTEMPT_TIMEOUT : deadline;
  }

  /** @throws IllegalStateException if the attempt timeout set exceeds the deadline */
  public void checkTimeouts() {
    if (attemptTimeout != null && attemptTimeout.compareTo(deadline) > 0) {
      throw new IllegalStateException("attemptTimeout must not exceed the deadline");
    }
  }

  /** Whether any setting that only a client built here can honour was set. */
  public boolean configuresClient() {
    return endpoint != null || region != null || credentials != null || maxAttempts != null;
  }

  /** A KMS client in {@code region} (null: the SDK's region chain). */
  public KmsClient kmsClient(@Nullable String region) {
    return build("AWS KMS", configure(KmsClient.builder().httpClientBuilder(UrlConnectionHttpClient.builder()
        .connectionTimeout(connectTimeout())), region));
  }

  /** An async KMS client on Netty, in {@code region} (null: the SDK's region chain). */
  public KmsAsyncClient kmsAsyncClient(@Nullable String region) {
    return build("AWS KMS", configure(KmsAsyncClient.builder().httpClientBuilder(NettyNioAsyncHttpClient.builder()
        .connectionTimeout(connectTimeout())), region));
  }

  /** A Secrets Manager client in the region set here (none: the SDK's region chain). */
  public SecretsManagerClient secretsManagerClient() {
    return build("AWS Secrets Manager", configure(SecretsManagerClient.builder().httpClientBuilder(
        UrlConnectionHttpClient.builder().connectionTimeout(connectTimeout())), region));
  }

  private Duration connectTimeout() {
    Duration attempt = attemptTimeout();
    return MAX_CONNECT_TIMEOUT.compareTo(attempt) <= 0 ? MAX_CONNECT_TIMEOUT : attempt;
  }

  private <B extends AwsClientBuilder<B, C>, C> B configure(B b, @Nullable String clientRegion) {
    b.overrideConfiguration(ClientOverrideConfiguration.builder()
        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder()
            .maxAttempts(maxAttempts == null ? DEFAULT_MAX_ATTEMPTS : maxAttempts).build())
        .apiCallTimeout(deadline).apiCallAttemptTimeout(attemptTimeout()).build());
    if (clientRegion != null) {
      b.region(Region.of(clientRegion));
    }
    if (endpoint != null) {
      b.endpointOverride(endpoint);
    }
    if (credentials != null) {
      b.credentialsProvider(credentials);
    }
    return b;
  }

  private static <C> C build(String service, AwsClientBuilder<?, C> b) {
    try {
      return b.build();
    } catch (SdkException e) {
      throw new IllegalStateException("cannot build an " + service + " client (no region? set region(...) or "
          + "AWS_REGION): " + e.getMessage(), e);
    }
  }
}
