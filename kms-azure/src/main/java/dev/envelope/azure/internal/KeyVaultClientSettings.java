package dev.envelope.azure.internal;

import com.azure.core.client.traits.HttpTrait;
import com.azure.core.client.traits.TokenCredentialTrait;
import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.identity.DefaultAzureCredentialBuilder;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The client settings that {@code AzureKeyVaultMasterKey.Builder} and
 * {@code AzureSecretStore.Builder} have in common, their checks, and the Azure SDK clients made
 * from them, so that a key and a store configured alike reach the vault alike.
 */
public final class KeyVaultClientSettings {
  private @Nullable TokenCredential credential;
  private @Nullable URI endpoint;
  private @Nullable SSLContext sslContext;
  private @Nullable HttpClient httpClient;
  private Duration deadline;
  private int maxRetries;
  private Duration retryBaseDelay = Duration.ofMillis(200);
  private Duration retryMaxDelay = Duration.ofSeconds(4);

  public KeyVaultClientSettings(Duration defaultDeadline, int defaultMaxRetries) {
    this.deadline = defaultDeadline;
    this.maxRetries = defaultMaxRetries;
  }

  public void credential(TokenCredential credential) {
    this.credential = Objects.requireNonNull(credential, "credential");
  }

  /** An endpoint the caller has already checked to be an https root on loopback. */
  public void endpoint(URI endpoint) {
    this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
  }

  public void sslContext(SSLContext sslContext) {
    this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
  }

  public void httpClient(HttpClient httpClient) {
    this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
  }

  /** 1 ms to 10 minutes. */
  public void deadline(Duration deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.compareTo(Duration.ofMillis(1)) < 0 || deadline.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException("deadline must be between 1 ms and 10 minutes");
    }
    this.deadline = deadline;
  }

  public Duration deadline() {
    return deadline;
  }

  /** 0 to 10. */
  public void maxRetries(int maxRetries) {
    if (maxRetries < 0 || maxRetries > 10) {
      throw new IllegalArgumentException("maxRetries must be 0..10");
    }
    this.maxRetries = maxRetries;
  }

  public void retryBackoff(Duration base, Duration max) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(max, "max");
    if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
      throw new IllegalArgumentException("need 0 < base <= max");
    }
    this.retryBaseDelay = base;
    this.retryMaxDelay = max;
  }

  /** @throws IllegalStateException if both an SSL context and an HTTP client were set */
  public void checkTransport() {
    if (sslContext != null && httpClient != null) {
      throw new IllegalStateException("set sslContext or httpClient, not both: configure TLS on your client");
    }
  }

  /**
   * What the SDK clients for one vault are built with: the credential and HTTP client are made
   * here, once, and shared by every client configured through the result.
   *
   * @param loopbackVault whether the vault itself (not an endpoint override) is on loopback
   */
  public Clients clients(boolean loopbackVault) {
    // A placeholder token for anything served on loopback, so no real Azure token reaches a local process.
    TokenCredential c = credential != null ? credential
        : loopbackVault || endpoint != null ? KeyVaultClientSettings::placeholderToken
        : new DefaultAzureCredentialBuilder().build();
    HttpClient http = httpClient != null ? httpClient : jdkClient(sslContext);
    BoundedRetryStrategy retries = new BoundedRetryStrategy(maxRetries, retryBaseDelay, retryMaxDelay, deadline);
    // Relaxed only where the vault itself is local: a real vault URL keeps the check even when an
    // endpoint override sends its traffic elsewhere (the check then runs against the real host).
    return new Clients(c, http, retries, endpoint, loopbackVault);
  }

  private static Mono<AccessToken> placeholderToken(TokenRequestContext request) {
    return Mono.just(new AccessToken("envelope-loopback-placeholder", OffsetDateTime.now().plusHours(1)));
  }

  private static HttpClient jdkClient(@Nullable SSLContext sslContext) {
    java.net.http.HttpClient.Builder jdk = java.net.http.HttpClient.newBuilder();
    if (sslContext != null) {
      jdk.sslContext(sslContext);
    }
    return new JdkHttpClientBuilder(jdk).build();
  }

  /** Resolved settings for one vault; immutable. */
  public static final class Clients {
    private final TokenCredential credential;
    private final HttpClient http;
    private final BoundedRetryStrategy retries;
    private final @Nullable URI endpoint;
    private final boolean relaxChallenge;

    private Clients(TokenCredential credential, HttpClient http, BoundedRetryStrategy retries, @Nullable URI endpoint,
        boolean relaxChallenge) {
      this.credential = credential;
      this.http = http;
      this.retries = retries;
      this.endpoint = endpoint;
      this.relaxChallenge = relaxChallenge;
    }

    /**
     * Sets credential, HTTP client, HTTP logging (never bodies), retry policy, challenge verification and endpoint redirect on
     * an SDK client builder. The retry policy and challenge switch are not part of the SDK's
     * builder traits, so the caller names its builder's methods for them.
     */
    public <B extends HttpTrait<B> & TokenCredentialTrait<B>> B configure(B builder,
        BiFunction<B, RetryPolicy, B> retryPolicy, UnaryOperator<B> disableChallengeResourceVerification) {
      // Never bodies: wrapKey/unwrapKey bodies carry data keys, getSecret bodies secret values.
      builder.credential(credential).httpClient(http).httpLogOptions(HttpLogging.withoutBodies());
      retryPolicy.apply(builder, new RetryPolicy(retries));
      if (relaxChallenge) {
        disableChallengeResourceVerification.apply(builder);
      }
      if (endpoint != null) {
        builder.addPolicy(new EndpointRedirectPolicy(endpoint));
      }
      return builder;
    }
  }
}
