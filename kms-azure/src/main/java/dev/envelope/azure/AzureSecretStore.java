package dev.envelope.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.RetryPolicy;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import com.azure.security.keyvault.secrets.models.SecretProperties;
import dev.envelope.azure.internal.BoundedRetryStrategy;
import dev.envelope.azure.internal.EndpointRedirectPolicy;
import dev.envelope.azure.internal.HttpLogging;
import dev.envelope.azure.internal.KeyVaultKeyId;
import dev.envelope.azure.internal.SecretErrors;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import dev.envelope.secrets.Version;
import dev.envelope.secrets.VersionInfo;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Azure Key Vault secrets as a {@link SecretStore}.
 *
 * <pre>{@code
 * SecretStore az = AzureSecretStore.create(secretClient);                       // your client
 * SecretStore az = AzureSecretStore.builder().vaultUrl("https://v.vault.azure.net").build();
 * }</pre>
 *
 * <p><b>Versions.</b> Key Vault has no staging labels; this store derives them from the versions'
 * attributes. A version is <em>live</em> when it is enabled and its not-before time
 * ({@code nbf}, "activation") is absent or not in the future.
 * <ul>
 *   <li>{@link Version#current()}: the newest live version. Read with one {@code get secret} when
 *       the newest version is live; otherwise the versions are listed.
 *   <li>{@link Version#pending()}: the newest enabled version whose not-before time is still in
 *       the future. To stage a rotation, set the new value with {@code nbf} at the cut-over time:
 *       consumers see it as pending until then, as current after. Without such a version,
 *       {@link SecretNotFoundException}.
 *   <li>{@link Version#previous()}: the newest live version created before the current one.
 *   <li>{@link Version#id(String)}: that version, which must be enabled.
 *   <li>{@link Version#stage(String)}: not supported ({@link SecretNotFoundException}).
 * </ul>
 * Expiry ({@code exp}) is not enforced by Key Vault for secrets and is not looked at here.
 * {@link #versions(String)} lists every version ({@code listPropertiesOfSecretVersions}, all
 * pages), newest first, with {@link VersionInfo.State#DISABLED} for disabled ones and no stages.
 *
 * <p><b>Errors.</b> 404 and reads of a disabled version become {@link SecretNotFoundException};
 * 401 and other 403s {@link dev.envelope.core.AccessDeniedException}; 408, 429 and 5xx, after the
 * client's retries, and I/O errors a retryable {@link KmsException}; others a non-retryable one.
 *
 * <p>Thread-safe and uncached: wrap it in {@link dev.envelope.secrets.CachingSecrets}. Values are
 * returned as their UTF-8 bytes.
 */
public final class AzureSecretStore implements SecretStore {
  /** Time allowed for one call, retries included, for a client this store builds. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);

  private static final Pattern NAME = Pattern.compile("[0-9A-Za-z-]{1,127}");
  private static final Pattern VERSION = Pattern.compile("[0-9A-Za-z]{1,64}");

  private final SecretClient client;
  private final Clock clock;

  private AzureSecretStore(SecretClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /** A store over your client. */
  public static AzureSecretStore create(SecretClient client) {
    return create(client, Clock.systemUTC());
  }

  /** A store over your client, judging not-before times with {@code clock}. */
  public static AzureSecretStore create(SecretClient client, Clock clock) {
    return new AzureSecretStore(Objects.requireNonNull(client, "client"), Objects.requireNonNull(clock, "clock"));
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The vault this store reads. */
  public String vaultUrl() {
    return client.getVaultUrl();
  }

  @Override
  public SecretValue get(String name, Version version) {
    checkName(name);
    Objects.requireNonNull(version, "version");
    String what = "secret '" + name + "' (" + version + ")";
    switch (version.kind()) {
      case ID -> {
        String id = Objects.requireNonNull(version.value());
        if (!VERSION.matcher(id).matches()) {
          throw new SecretNotFoundException(what + ": not an Azure Key Vault version id");
        }
        return read(name, id, what);
      }
      case STAGE -> throw new SecretNotFoundException(what + ": Azure Key Vault has no staging labels; read by "
          + "version id, or current, pending or previous");
      case CURRENT -> {
        KeyVaultSecret latest = null;
        try {
          latest = call("get secret", what, () -> client.getSecret(name));
        } catch (SecretNotFoundException e) {
          if (!SecretErrors.isDisabled(e.getCause())) {
            throw e;
          }
        }
        if (latest != null && isLive(latest.getProperties(), clock.instant())) {
          return value(name, latest, what);
        }
        SecretProperties current = pick(name, what, version);
        return read(name, current.getVersion(), what);
      }
      default -> {
        return read(name, pick(name, what, version).getVersion(), what);
      }
    }
  }

  /** Chooses current, pending or previous among the listed versions. */
  private SecretProperties pick(String name, String what, Version version) {
    Instant now = clock.instant();
    List<SecretProperties> all = list(name, what);
    List<SecretProperties> live = all.stream().filter(p -> isLive(p, now)).toList();
    switch (version.kind()) {
      case CURRENT -> {
        if (live.isEmpty()) {
          throw new SecretNotFoundException(what + ": no enabled version is active in Azure Key Vault");
        }
        return live.get(0);
      }
      case PENDING -> {
        return all.stream().filter(p -> Boolean.TRUE.equals(p.isEnabled()) && p.getNotBefore() != null
            && p.getNotBefore().toInstant().isAfter(now)).findFirst()
            .orElseThrow(() -> new SecretNotFoundException(what + ": no rotation is under way (no enabled version "
                + "with a future not-before time)"));
      }
      case PREVIOUS -> {
        if (live.size() < 2) {
          throw new SecretNotFoundException(what + ": no enabled version before the current one");
        }
        return live.get(1);
      }
      default -> throw new IllegalArgumentException("unsupported version " + version);
    }
  }

  @Override
  public List<VersionInfo> versions(String name) {
    checkName(name);
    String what = "secret '" + name + "'";
    List<VersionInfo> out = new ArrayList<>();
    for (SecretProperties p : list(name, what)) {
      out.add(new VersionInfo(p.getVersion(), Set.of(),
          Boolean.TRUE.equals(p.isEnabled()) ? VersionInfo.State.ENABLED : VersionInfo.State.DISABLED,
          p.getCreatedOn() == null ? null : p.getCreatedOn().toInstant()));
    }
    return List.copyOf(out);
  }

  /** Every version's properties, newest first. */
  private List<SecretProperties> list(String name, String what) {
    List<SecretProperties> all = call("list secret versions", what, () -> {
      List<SecretProperties> l = new ArrayList<>();
      for (SecretProperties p : client.listPropertiesOfSecretVersions(name)) {
        if (p.getVersion() == null || p.getVersion().isEmpty()) {
          throw new KmsException("Azure Key Vault listed a version without an id for " + what, false);
        }
        l.add(p);
      }
      return l;
    });
    all.sort(Comparator.comparing((SecretProperties p) -> p.getCreatedOn(),
        Comparator.nullsLast(Comparator.<OffsetDateTime>reverseOrder())));
    return all;
  }

  private SecretValue read(String name, String version, String what) {
    KeyVaultSecret s = call("get secret", what, () -> client.getSecret(name, version));
    String answered = s.getProperties() == null ? null : s.getProperties().getVersion();
    if (!version.equals(answered)) {
      throw new KmsException("Azure Key Vault answered " + what + " with another version: " + answered, false);
    }
    return value(name, s, what);
  }

  private static SecretValue value(String name, KeyVaultSecret s, String what) {
    String version = s.getProperties() == null ? null : s.getProperties().getVersion();
    if (version == null || version.isEmpty() || s.getValue() == null) {
      throw new KmsException("Azure Key Vault answered " + what + " without a version or a value", false);
    }
    if (s.getValue().length() > SecretValue.MAX_BYTES) {
      throw new KmsException(what + " is larger than " + SecretValue.MAX_BYTES + " bytes", false);
    }
    return SecretValue.ofString(name, version, Set.of(), s.getValue());
  }

  private static boolean isLive(@Nullable SecretProperties p, Instant now) {
    return p != null && Boolean.TRUE.equals(p.isEnabled())
        && (p.getNotBefore() == null || !p.getNotBefore().toInstant().isAfter(now));
  }

  private static void checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("secret name must be 1 to 127 letters, digits or '-' (Azure Key Vault)");
    }
  }

  private static <T> T call(String operation, String what, Supplier<T> call) {
    try {
      return call.get();
    } catch (KmsException e) {
      throw e;
    } catch (RuntimeException e) {
      throw SecretErrors.map(e, operation, what);
    }
  }

  @Override
  public String toString() {
    return "AzureSecretStore[" + client.getVaultUrl() + "]";
  }

  /**
   * Settings of the {@link SecretClient} an {@link AzureSecretStore} builds: the JDK HTTP client,
   * bounded retries with backoff, {@code DefaultAzureCredential} unless a credential is given (a
   * placeholder token for a vault or endpoint on loopback, so no real token reaches a local process).
   */
  public static final class Builder {
    private @Nullable URI vaultUrl;
    private @Nullable TokenCredential credential;
    private @Nullable URI endpoint;
    private @Nullable SSLContext sslContext;
    private Duration deadline = DEFAULT_DEADLINE;
    private int maxRetries = AzureKeyVaultMasterKey.DEFAULT_MAX_RETRIES;
    private Duration retryBaseDelay = Duration.ofMillis(200);
    private Duration retryMaxDelay = Duration.ofSeconds(4);
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Required: {@code https://VAULT.vault.azure.net} (no path). */
    public Builder vaultUrl(String vaultUrl) {
      this.vaultUrl = httpsRoot(vaultUrl, "vaultUrl", false);
      return this;
    }

    public Builder credential(TokenCredential credential) {
      this.credential = Objects.requireNonNull(credential, "credential");
      return this;
    }

    /** Sends requests to a loopback {@code https://127.0.0.1:PORT} instead, e.g. the testkit fake. */
    public Builder endpoint(String endpoint) {
      this.endpoint = httpsRoot(endpoint, "endpoint", true);
      return this;
    }

    /** TLS settings (trust) for the built-in JDK HTTP client, e.g. the testkit fake's certificate. */
    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = Objects.requireNonNull(sslContext, "sslContext");
      return this;
    }

    /** Time allowed for one call, retries included; 1 ms to 10 minutes. */
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

    /** Exponential backoff bounds between retries; default 200 ms and 4 s. */
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

    /** Time source for not-before times. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** @throws IllegalStateException if no vault URL was set */
    public AzureSecretStore build() {
      if (vaultUrl == null) {
        throw new IllegalStateException("vaultUrl is required");
      }
      boolean loopbackVault = KeyVaultKeyId.isLoopbackHost(vaultUrl.getHost());
      TokenCredential c = credential != null ? credential
          : loopbackVault || endpoint != null ? Builder::placeholderToken
          : new DefaultAzureCredentialBuilder().build();
      java.net.http.HttpClient.Builder jdk = java.net.http.HttpClient.newBuilder();
      if (sslContext != null) {
        jdk.sslContext(sslContext);
      }
      HttpClient http = new JdkHttpClientBuilder(jdk).build();
      SecretClientBuilder b = new SecretClientBuilder().vaultUrl(vaultUrl.toString()).credential(c).httpClient(http)
          .retryPolicy(new RetryPolicy(new BoundedRetryStrategy(maxRetries, retryBaseDelay, retryMaxDelay, deadline)))
          .httpLogOptions(HttpLogging.withoutBodies());
      if (loopbackVault) {
        b.disableChallengeResourceVerification();
      }
      if (endpoint != null) {
        b.addPolicy(new EndpointRedirectPolicy(endpoint));
      }
      return new AzureSecretStore(b.buildClient(), clock);
    }

    private static Mono<AccessToken> placeholderToken(com.azure.core.credential.TokenRequestContext request) {
      return Mono.just(new AccessToken("envelope-loopback-placeholder", OffsetDateTime.now().plusHours(1)));
    }

    private static URI httpsRoot(String url, String what, boolean loopbackOnly) {
      Objects.requireNonNull(url, what);
      URI uri;
      try {
        uri = new URI(url);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(what + " must be a URL like https://VAULT.vault.azure.net");
      }
      if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null
          || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))
          || uri.getRawQuery() != null || uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
        throw new IllegalArgumentException(what + " must be an https URL without a path, e.g. "
            + (loopbackOnly ? "https://127.0.0.1:8443" : "https://VAULT.vault.azure.net"));
      }
      if (loopbackOnly && !KeyVaultKeyId.isLoopbackHost(uri.getHost())) {
        throw new IllegalArgumentException(what + " must be on a loopback address (localhost, 127.0.0.0/8, [::1])");
      }
      return uri;
    }
  }
}
