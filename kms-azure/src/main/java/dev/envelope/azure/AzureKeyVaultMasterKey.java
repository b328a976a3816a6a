package dev.envelope.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.security.keyvault.keys.KeyAsyncClient;
import com.azure.security.keyvault.keys.KeyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.CryptographyAsyncClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.models.KeyWrapAlgorithm;
import com.azure.security.keyvault.keys.cryptography.models.UnwrapResult;
import com.azure.security.keyvault.keys.cryptography.models.WrapResult;
import com.azure.security.keyvault.keys.models.KeyType;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import dev.envelope.azure.internal.BoundedRetryStrategy;
import dev.envelope.azure.internal.EndpointRedirectPolicy;
import dev.envelope.azure.internal.HttpLogging;
import dev.envelope.azure.internal.KeyVaultErrors;
import dev.envelope.azure.internal.KeyVaultKeyId;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyRef;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import dev.envelope.core.MasterKey;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.Ticker;
import dev.envelope.core.WrappedKey;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * An Azure Key Vault RSA key ({@code RSA} or {@code RSA-HSM}) as an Envelope master key.
 *
 * <pre>{@code
 * AzureKeyVaultMasterKey key = AzureKeyVaultMasterKey.builder()
 *     .keyId("https://my-vault.vault.azure.net/keys/orders")
 *     .build();                                  // DefaultAzureCredential
 * }</pre>
 *
 * <p>Data keys are drawn locally and wrapped with one {@code wrapKey} call using
 * {@code RSA-OAEP-256}, performed by the vault (the SDK's local public-key shortcut is off, so
 * the vault sees, authorizes and logs every wrap). Key Vault's wrapKey takes no additional
 * authenticated data: the encryption context is not sent and is not bound by the vault. It is
 * bound by the Envelope message instead, whose whole header (context included) is authenticated
 * under the data key; see {@code docs/azure.md}.
 *
 * <p>Versions. The wrapped key records the key URL without a version as its key id and the
 * version used as its version; unwrap always goes to exactly that version, so data wrapped before
 * a rotation keeps decrypting as long as the old version stays enabled. A key id with a version
 * pins wrapping to it. A key id without one wraps under the key's current version, which this
 * object looks up with a {@code get key} call and reuses for {@linkplain Builder#versionRefresh
 * a while} (default {@value #DEFAULT_VERSION_REFRESH_MINUTES} minutes): after a rotation new data
 * keys move to the new version within that time, and the lookup also refuses to wrap under a
 * disabled version. (Key Vault's wrap answer names the version it used, but the Azure SDK does
 * not pass it on, hence the lookup.)
 *
 * <p>Errors: 404 becomes {@link KeyUnavailableException}; 403 with inner code
 * {@code KeyDisabled} (and a disabled current version found by the lookup) also
 * {@link KeyUnavailableException}; any other 403 and 401 {@link
 * dev.envelope.core.AccessDeniedException}; a 400 on unwrap (the vault could not decrypt) {@link
 * InvalidCiphertextException}; 408, 429 and 5xx are retried by the SDK's retry policy, which
 * honours {@code Retry-After}, with exponential backoff within the {@linkplain Builder#deadline
 * deadline}, then surface as a retryable {@link KmsException}. A {@code Retry-After} longer than
 * the deadline is not waited for.
 *
 * <p>Credentials: the given {@link TokenCredential}, else {@code DefaultAzureCredential}. For a
 * vault or endpoint on a loopback address (the testkit fake) the default is a placeholder token
 * instead, so a real Azure token is never sent to a local process; challenge-resource verification
 * is relaxed only for key ids whose vault is on a loopback address. Immutable and thread-safe.
 */
public final class AzureKeyVaultMasterKey implements MasterKey {
  /** Provider id in {@link KeyRef} and {@link WrappedKey}. */
  public static final String PROVIDER_ID = "azure-kv";
  /** Time allowed for one wrap or unwrap, retries included, unless the builder sets another. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);
  static final int DEFAULT_VERSION_REFRESH_MINUTES = 5;
  /** How long the current version of an unpinned key is reused before it is looked up again. */
  public static final Duration DEFAULT_VERSION_REFRESH = Duration.ofMinutes(DEFAULT_VERSION_REFRESH_MINUTES);
  /** Retries after the first attempt, unless the builder sets another number. */
  public static final int DEFAULT_MAX_RETRIES = 4;
  /** The wrap algorithm: RSA-OAEP with SHA-256 and MGF1-SHA-256 (RFC 7518 §4.3). */
  public static final String ALGORITHM = "RSA-OAEP-256";

  private static final KeyWrapAlgorithm WRAP_ALGORITHM = KeyWrapAlgorithm.RSA_OAEP_256;
  private static final Set<KeyType> RSA_TYPES = Set.of(KeyType.RSA, KeyType.RSA_HSM);
  /** RSA 2048, 3072 and 4096 ciphertexts; anything else cannot be one of ours. */
  private static final Set<Integer> CIPHERTEXT_LENGTHS = Set.of(256, 384, 512);
  /** Distinct versions with a client kept; wrapped keys may name many, so the map is bounded. */
  private static final int MAX_VERSION_CLIENTS = 64;

  private final KeyVaultKeyId id;
  private final KeyRef ref;
  private final KeyAsyncClient keyClient;
  private final ClientFactory clients;
  private final ConcurrentMap<String, CryptographyAsyncClient> byVersion = new ConcurrentHashMap<>();
  private final Duration deadline;
  private final long versionRefreshNanos;
  private final Ticker ticker;
  private final Object resolveLock = new Object();
  private volatile @Nullable Current current;

  /** The version wrapping uses, as last looked up. */
  private record Current(String version, boolean enabled, long fetchedAt) {}

  @FunctionalInterface
  private interface ClientFactory {
    CryptographyAsyncClient forKeyId(String versionedKeyId);
  }

  private AzureKeyVaultMasterKey(Builder b, KeyVaultKeyId id) {
    this.id = id;
    this.ref = new KeyRef(PROVIDER_ID, id.unversioned());
    this.deadline = b.deadline;
    this.versionRefreshNanos = b.versionRefresh.toNanos();
    this.ticker = b.ticker;

    URI endpoint = b.endpoint;
    boolean loopbackTarget = id.isLoopback() || endpoint != null;
    TokenCredential credential = b.credential != null ? b.credential
        : loopbackTarget ? AzureKeyVaultMasterKey::placeholderToken
        : new DefaultAzureCredentialBuilder().build();
    HttpClient http = b.httpClient != null ? b.httpClient : jdkClient(b.sslContext);
    BoundedRetryStrategy retries = new BoundedRetryStrategy(b.maxRetries, b.retryBaseDelay, b.retryMaxDelay, deadline);
    // Relaxed only where the vault itself is local: a real vault URL keeps the check even when an
    // endpoint override sends its traffic elsewhere (the check then runs against the real host).
    boolean relaxChallenge = id.isLoopback();

    KeyClientBuilder kb = new KeyClientBuilder().vaultUrl(id.vaultUrl()).credential(credential).httpClient(http)
        .retryPolicy(new RetryPolicy(retries)).httpLogOptions(HttpLogging.withoutBodies());
    if (relaxChallenge) {
      kb.disableChallengeResourceVerification();
    }
    if (endpoint != null) {
      kb.addPolicy(new EndpointRedirectPolicy(endpoint));
    }
    this.keyClient = kb.buildAsyncClient();
    this.clients = versionedId -> {
      CryptographyClientBuilder cb = new CryptographyClientBuilder().keyIdentifier(versionedId).credential(credential)
          .httpClient(http).retryPolicy(new RetryPolicy(retries)).httpLogOptions(HttpLogging.withoutBodies())
          // Every operation goes to the vault: it enforces disabled versions and RBAC, and logs the use.
          .disableKeyCaching();
      if (relaxChallenge) {
        cb.disableChallengeResourceVerification();
      }
      if (endpoint != null) {
        cb.addPolicy(new EndpointRedirectPolicy(endpoint));
      }
      return cb.buildAsyncClient();
    };
  }

  private static Mono<AccessToken> placeholderToken(com.azure.core.credential.TokenRequestContext request) {
    return Mono.just(new AccessToken("envelope-loopback-placeholder", OffsetDateTime.now().plusHours(1)));
  }

  private static HttpClient jdkClient(@Nullable SSLContext sslContext) {
    java.net.http.HttpClient.Builder jdk = java.net.http.HttpClient.newBuilder();
    if (sslContext != null) {
      jdk.sslContext(sslContext);
    }
    return new JdkHttpClientBuilder(jdk).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The key URL without a version: {@code https://VAULT/keys/NAME}. */
  public String keyId() {
    return ref.keyId();
  }

  /** The version this key is pinned to, or null if it follows the key's current version. */
  public @Nullable String pinnedVersion() {
    return id.version();
  }

  @Override
  public KeyRef ref() {
    return ref;
  }

  /**
   * Wraps {@code dataKey} (32 bytes) with RSA-OAEP-256 under the pinned or current version.
   * {@code context} is not sent: Key Vault's wrapKey has no AAD, and the Envelope message binds it.
   */
  @Override
  public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
    Objects.requireNonNull(dataKey, "dataKey");
    Objects.requireNonNull(context, "context");
    if (dataKey.length() != DATA_KEY_LENGTH) {
      throw new IllegalArgumentException("data keys are " + DATA_KEY_LENGTH + " bytes");
    }
    long deadlineAt = System.nanoTime() + deadline.toNanos();
    Current c = current(deadlineAt);
    if (!c.enabled()) {
      throw new KeyUnavailableException("Azure Key Vault key " + ref.keyId() + " version " + c.version()
          + " is disabled: enable it or rotate to a new version");
    }
    try {
      byte[] wrapped = await(client(c.version()).wrapKey(WRAP_ALGORITHM, dataKey.unsafeBytes())
          .map(WrapResult::getEncryptedKey), deadlineAt);
      return new WrappedKey(PROVIDER_ID, ref.keyId(), c.version(), wrapped);
    } catch (RuntimeException e) {
      RuntimeException mapped = KeyVaultErrors.map(e, KeyVaultErrors.Call.WRAP, ref.keyId());
      if (mapped instanceof KeyUnavailableException) {
        // The version went away or was disabled since the lookup: look again next time.
        current = null;
      }
      throw mapped;
    }
  }

  /** Unwraps with exactly the key version recorded in {@code wrapped}. */
  @Override
  public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(context, "context");
    if (!canUnwrap(wrapped)) {
      throw new IllegalArgumentException("wrapped key belongs to " + wrapped.keyRef() + ", not " + ref);
    }
    // The version comes from a stored header: only a plain version id may become part of a URL.
    if (!KeyVaultKeyId.VERSION.matcher(wrapped.version()).matches()
        || !CIPHERTEXT_LENGTHS.contains(wrapped.unsafeCiphertext().length)) {
      throw new InvalidCiphertextException();
    }
    long deadlineAt = System.nanoTime() + deadline.toNanos();
    byte[] key;
    try {
      key = await(client(wrapped.version()).unwrapKey(WRAP_ALGORITHM, wrapped.unsafeCiphertext())
          .map(UnwrapResult::getKey), deadlineAt);
    } catch (RuntimeException e) {
      throw KeyVaultErrors.map(e, KeyVaultErrors.Call.UNWRAP, ref.keyId());
    }
    if (key.length != DATA_KEY_LENGTH) {
      Arrays.fill(key, (byte) 0);
      throw new InvalidCiphertextException();
    }
    return SecretBytes.wrap(key);
  }

  private Current current(long deadlineAt) {
    Current c = current;
    if (c != null && ticker.read() - c.fetchedAt() < versionRefreshNanos) {
      return c;
    }
    synchronized (resolveLock) {
      c = current;
      if (c != null && ticker.read() - c.fetchedAt() < versionRefreshNanos) {
        return c;
      }
      KeyVaultKey key;
      try {
        String pinned = id.version();
        key = await(pinned == null ? keyClient.getKey(id.name()) : keyClient.getKey(id.name(), pinned), deadlineAt);
      } catch (RuntimeException e) {
        throw KeyVaultErrors.map(e, KeyVaultErrors.Call.RESOLVE_VERSION, ref.keyId());
      }
      if (!RSA_TYPES.contains(key.getKeyType())) {
        throw new KmsException("Azure Key Vault key " + ref.keyId() + " is of type " + key.getKeyType()
            + "; Envelope wraps with " + ALGORITHM + " and needs an RSA or RSA-HSM key", false);
      }
      String version = key.getProperties().getVersion();
      if (version == null || !KeyVaultKeyId.VERSION.matcher(version).matches()) {
        throw new KmsException("Azure Key Vault returned no usable version for " + ref.keyId(), false);
      }
      Boolean enabled = key.getProperties().isEnabled();
      c = new Current(version, enabled == null || enabled, ticker.read());
      // A disabled version is not remembered, so re-enabling it takes effect at the next wrap.
      current = c.enabled() ? c : null;
      return c;
    }
  }

  private CryptographyAsyncClient client(String version) {
    CryptographyAsyncClient c = byVersion.get(version);
    if (c != null) {
      return c;
    }
    if (byVersion.size() >= MAX_VERSION_CLIENTS) {
      byVersion.clear();
    }
    return byVersion.computeIfAbsent(version, v -> clients.forKeyId(id.withVersion(v)));
  }

  private static <T> T await(Mono<T> call, long deadlineAt) {
    long remaining = deadlineAt - System.nanoTime();
    if (remaining <= 0) {
      throw reactor.core.Exceptions.propagate(new java.util.concurrent.TimeoutException());
    }
    T value = call.timeout(Duration.ofNanos(remaining)).block();
    if (value == null) {
      throw new KmsException("Azure Key Vault returned an empty answer", true);
    }
    return value;
  }

  @Override
  public String toString() {
    return "AzureKeyVaultMasterKey[" + ref + (id.version() == null ? "" : " version " + id.version()) + "]";
  }

  public static final class Builder {
    private @Nullable String keyId;
    private @Nullable TokenCredential credential;
    private @Nullable URI endpoint;
    private @Nullable SSLContext sslContext;
    private @Nullable HttpClient httpClient;
    private Duration deadline = DEFAULT_DEADLINE;
    private int maxRetries = DEFAULT_MAX_RETRIES;
    private Duration retryBaseDelay = Duration.ofMillis(200);
    private Duration retryMaxDelay = Duration.ofSeconds(4);
    private Duration versionRefresh = DEFAULT_VERSION_REFRESH;
    private Ticker ticker = Ticker.system();

    private Builder() {}

    /**
     * {@code https://VAULT.vault.azure.net/keys/NAME} to follow the key's current version, or
     * {@code …/keys/NAME/VERSION} to pin one.
     */
    public Builder keyId(String keyId) {
      Objects.requireNonNull(keyId, "keyId");
      KeyVaultKeyId.parse(keyId);
      this.keyId = keyId;
      return this;
    }

    /** The identity to call Key Vault with; default {@code DefaultAzureCredential} (see class notes). */
    public Builder credential(TokenCredential credential) {
      this.credential = Objects.requireNonNull(credential, "credential");
      return this;
    }

    /**
     * Sends the requests to {@code https://127.0.0.1:PORT} (or another loopback address) instead
     * of the vault named in the key id, e.g. to serve a production-looking key id from the testkit
     * fake. Only loopback endpoints are accepted.
     */
    public Builder endpoint(String endpoint) {
      Objects.requireNonNull(endpoint, "endpoint");
      URI uri;
      try {
        uri = new URI(endpoint);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("endpoint must be a URL like https://127.0.0.1:8443");
      }
      if (!"https".equalsIgnoreCase(uri.getScheme()) || !KeyVaultKeyId.isLoopbackHost(uri.getHost())
          || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
          || uri.getRawQuery() != null || uri.getRawUserInfo() != null) {
        throw new IllegalArgumentException("endpoint must be https on a loopback address (localhost, 127.0.0.0/8,"
            + " [::1]) without a path, e.g. https://127.0.0.1:8443");
      }
      this.endpoint = uri;
      return this;
    }

    /** TLS settings (trust) for the built-in JDK HTTP client, e.g. to trust the testkit fake's certificate. */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      return this;
    }

    /** An Azure HTTP client to use instead of the built-in JDK one (proxies, custom transports). */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      return this;
    }

    /** Time allowed for one wrap or unwrap, retries and waits included; 1 ms to 10 minutes. */
    public Builder deadline(Duration deadline) {
      Objects.requireNonNull(deadline, "deadline");
      if (deadline.compareTo(Duration.ofMillis(1)) < 0 || deadline.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("deadline must be between 1 ms and 10 minutes");
      }
      this.deadline = deadline;
      return this;
    }

    /** Retries after the first attempt for throttling, 5xx and I/O errors; 0 to 10. */
    public Builder maxRetries(int maxRetries) {
      if (maxRetries < 0 || maxRetries > 10) {
        throw new IllegalArgumentException("maxRetries must be 0..10");
      }
      this.maxRetries = maxRetries;
      return this;
    }

    /**
     * Exponential backoff between retries when the service names no {@code Retry-After}: the SDK
     * waits about {@code base × 2^attempt} with jitter, at most {@code max}. Default 200 ms, 4 s.
     */
    public Builder retryBackoff(Duration base, Duration max) {
      Objects.requireNonNull(base, "base");
      Objects.requireNonNull(max, "max");
      if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
        throw new IllegalArgumentException("need 0 < base <= max");
      }
      this.retryBaseDelay = base;
      this.retryMaxDelay = max;
      return this;
    }

    /** How long an unpinned key reuses the current version it looked up; default 5 minutes. */
    public Builder versionRefresh(Duration versionRefresh) {
      Objects.requireNonNull(versionRefresh, "versionRefresh");
      if (versionRefresh.isNegative() || versionRefresh.isZero()) {
        throw new IllegalArgumentException("versionRefresh must be positive");
      }
      this.versionRefresh = versionRefresh;
      return this;
    }

    /** Time source for {@link #versionRefresh}; tests advance it instead of sleeping. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * @throws IllegalStateException if no key id was set, or both {@link #sslContext} and
     *     {@link #httpClient} were
     */
    public AzureKeyVaultMasterKey build() {
      if (keyId == null) {
        throw new IllegalStateException("keyId is required");
      }
      if (sslContext != null && httpClient != null) {
        throw new IllegalStateException("set sslContext or httpClient, not both: configure TLS on your client");
      }
      return new AzureKeyVaultMasterKey(this, KeyVaultKeyId.parse(keyId));
    }
  }
}
