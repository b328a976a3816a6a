package dev.envelope.testkit.azure;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.envelope.testkit.internal.FakeSupport;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * An Azure Key Vault data plane (keys and secrets) served over HTTPS on 127.0.0.1, for the real
 * Azure SDK clients.
 *
 * <pre>{@code
 * try (AzureKeyVaultFake vault = AzureKeyVaultFake.start()) {
 *   String keyId = vault.createKey("orders");          // https://127.0.0.1:PORT/keys/orders/<version>
 *   CryptographyClient crypto = new CryptographyClientBuilder()
 *       .keyIdentifier(keyId)
 *       .credential(anyTokenCredential)                 // every bearer token is accepted
 *       .httpClient(new JdkHttpClientBuilder(HttpClient.newBuilder().sslContext(vault.sslContext())).build())
 *       .disableChallengeResourceVerification()         // the challenge names vault.azure.net, not 127.0.0.1
 *       .buildClient();
 *   vault.faults().throttleNext(AzureFaults.WRAP_KEY, 1, Duration.ofSeconds(1));
 * }
 * }</pre>
 *
 * <p>What it does as Key Vault does:
 * <ul>
 *   <li>TLS with a certificate generated at start for {@code 127.0.0.1}, {@code ::1} and
 *       {@code localhost}; trust it through {@link #sslContext()}, {@link #trustStore()} or
 *       {@link #writeCertificatePem(Path)}.
 *   <li>The bearer challenge: a request without {@code Authorization: Bearer …} gets 401 with
 *       {@code WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>",
 *       resource="https://vault.azure.net"}; any bearer token is then accepted.
 *   <li>{@code api-version} 7.x is required on every request.
 *   <li>Keys: create (RSA and RSA-HSM 2048/3072/4096; oct-HSM 128/192/256), get (newest or a
 *       version), rotate, update (enable/disable, operations, tags), list keys and versions,
 *       {@code wrapkey}/{@code unwrapkey}/{@code encrypt}/{@code decrypt} with RSA-OAEP-256,
 *       RSA-OAEP and RSA1_5 (real RSA through the JCE) or AES key wrap for oct-HSM. Results carry
 *       the versioned key id in {@code kid}. A disabled key refuses unwrapKey and decrypt
 *       ({@code 403}, inner code {@code KeyDisabled}) but, like Key Vault, still serves the
 *       public-key operations wrapKey and encrypt.
 *   <li>Secrets: set (a new version), get (newest or a version; a disabled version answers
 *       {@code 403 SecretDisabled}), update (enable/disable, content type, tags), list secrets
 *       and versions.
 *   <li>Errors as {@code {"error":{"code":…,"message":…,"innererror":{"code":…}}}}:
 *       {@code KeyNotFound}/{@code SecretNotFound} 404, {@code BadParameter} 400 (including a
 *       ciphertext that does not decrypt), {@code Forbidden} 403, and through {@link #faults()}
 *       {@code Throttled} 429 with {@code Retry-After}, 5xx, and RBAC denials.
 *   <li>Pages of at most 25 items with {@code nextLink}, as Key Vault pages.
 * </ul>
 *
 * <p>Not modelled: deletion and recovery, backup/restore, EC keys, sign/verify, rotation
 * policies, certificates, access-policy or RBAC evaluation (use {@link AzureFaults#denyAccess}).
 * State lives in memory and ends with {@link #close()}.
 */
public final class AzureKeyVaultFake implements AutoCloseable {
  /** The {@code resource} the bearer challenge names, as the public cloud's vaults do. */
  public static final String DEFAULT_CHALLENGE_RESOURCE = "https://vault.azure.net";

  private final HttpsServer server;
  private final ExecutorService executor;
  private final SelfSignedTls tls;
  private final Vault vault;
  private final AzureFaults faults = new AzureFaults();
  private final String vaultUrl;

  private AzureKeyVaultFake(Builder b) throws IOException {
    this.tls = SelfSignedTls.generate(b.clock);
    this.vault = new Vault(b.clock);
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    this.server = HttpsServer.create(new InetSocketAddress(loopback, b.port), 128);
    this.server.setHttpsConfigurator(new HttpsConfigurator(tls.serverContext()));
    this.vaultUrl = "https://" + b.host + ":" + server.getAddress().getPort();
    this.server.createContext("/", new KeyVaultHandler(vault, faults, vaultUrl, b.challengeResource));
    this.executor = Executors.newFixedThreadPool(b.threads, FakeSupport.daemonThreads("azure-kv-fake-"));
    this.server.setExecutor(executor);
    this.server.start();
  }

  /** Starts a fake on an ephemeral port of 127.0.0.1. */
  public static AzureKeyVaultFake start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code https://127.0.0.1:PORT} (no trailing slash): the vault URL, and the prefix of every id. */
  public String vaultUrl() {
    return vaultUrl;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code https://127.0.0.1:PORT/keys/NAME}: a key's id without a version. */
  public String keyId(String name) {
    return vaultUrl + "/keys/" + name;
  }

  /** A client TLS context that trusts this fake's certificate and nothing else. */
  public SSLContext sslContext() {
    return tls.clientContext();
  }

  /** The fake's self-signed server certificate. */
  public X509Certificate certificate() {
    return tls.certificate();
  }

  /** The certificate in PEM, e.g. for {@code --trust FILE} options. */
  public String certificatePem() {
    return tls.certificatePem();
  }

  /** Writes {@link #certificatePem()} to {@code file} and returns it. */
  public Path writeCertificatePem(Path file) {
    try {
      Files.writeString(file, certificatePem(), StandardCharsets.US_ASCII);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A PKCS#12 trust store holding only the fake's certificate, for {@code javax.net.ssl.trustStore}. */
  public KeyStore trustStore() {
    try {
      return SelfSignedTls.trustStoreOf(certificate());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes {@link #trustStore()} to {@code file} (PKCS#12) with {@code password}, and returns it. */
  public Path writeTrustStore(Path file, char[] password) {
    try (OutputStream out = Files.newOutputStream(file)) {
      trustStore().store(out, password);
      return file;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public AzureFaults faults() {
    return faults;
  }

  // ---- direct set-up, without HTTP (not counted as calls) ----

  /** Creates an RSA 2048 key, or a new version of it, and returns the versioned key id. */
  public String createKey(String name) {
    return createKey(name, "RSA", 2048);
  }

  /**
   * Creates a key of type {@code kty} ({@code RSA}, {@code RSA-HSM} or {@code oct-HSM}) and
   * {@code size} bits with every operation its type allows, and returns the versioned key id.
   *
   * @throws IllegalArgumentException for a bad name, type or size
   */
  public String createKey(String name, String kty, int size) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(kty, "kty");
    try {
      Vault.KeyVersion v = vault.createKey(name, kty, size, null, true, null, null, null);
      return vaultUrl + "/keys/" + v.name + "/" + v.version;
    } catch (VaultError e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  /** Adds a new version of {@code name} (Key Vault's rotate) and returns its versioned id. */
  public String rotateKey(String name) {
    Vault.KeyVersion v = admin(() -> vault.rotateKey(name));
    return vaultUrl + "/keys/" + v.name + "/" + v.version;
  }

  /** Enables or disables one version of a key; {@code ""} names the newest. */
  public void setKeyEnabled(String name, String version, boolean enabled) {
    admin(() -> vault.updateKey(name, version, null, enabled, null, null, null));
  }

  /** The key's version ids, oldest first. */
  public List<String> keyVersions(String name) {
    return admin(() -> vault.keyVersions(name)).stream().map(v -> v.version).toList();
  }

  /** Adds a version of secret {@code name} holding {@code value}, and returns the version id. */
  public String setSecret(String name, String value) {
    Objects.requireNonNull(value, "value");
    return admin(() -> vault.setSecret(name, value, null, true, null, null, null)).version;
  }

  /** Enables or disables one version of a secret; {@code ""} names the newest. */
  public void setSecretEnabled(String name, String version, boolean enabled) {
    admin(() -> vault.updateSecret(name, version, null, enabled, null, null, null));
  }

  /** The secret's version ids, oldest first. */
  public List<String> secretVersions(String name) {
    return admin(() -> vault.secretVersions(name)).stream().map(v -> v.version).toList();
  }

  private static <T> T admin(java.util.function.Supplier<T> action) {
    try {
      return action.get();
    } catch (VaultError e) {
      throw e.status == 404 ? new java.util.NoSuchElementException(e.getMessage())
          : new IllegalArgumentException(e.getMessage());
    }
  }

  /** Stops the server at once and drops its state. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "AzureKeyVaultFake[" + vaultUrl + "]";
  }

  public static final class Builder {
    private int port;
    private String host = "127.0.0.1";
    private Clock clock = Clock.systemUTC();
    private String challengeResource = DEFAULT_CHALLENGE_RESOURCE;
    private int threads = 16;

    private Builder() {}

    /** Port to bind on 127.0.0.1; 0 (the default) picks a free one. */
    public Builder port(int port) {
      this.port = FakeSupport.checkPort(port);
      return this;
    }

    /**
     * Host name used in {@link #vaultUrl()} and in every id the fake returns: {@code 127.0.0.1}
     * (the default) or {@code localhost}. The server listens on 127.0.0.1 either way.
     */
    public Builder host(String host) {
      if (!"127.0.0.1".equals(host) && !"localhost".equals(host)) {
        throw new IllegalArgumentException("host must be 127.0.0.1 or localhost");
      }
      this.host = host;
      return this;
    }

    /** Clock for the created/updated times the fake reports. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The {@code resource} named in the bearer challenge; default {@value AzureKeyVaultFake#DEFAULT_CHALLENGE_RESOURCE}. */
    public Builder challengeResource(String resource) {
      Objects.requireNonNull(resource, "resource");
      if (!resource.startsWith("https://")) {
        throw new IllegalArgumentException("challenge resource must be an https URL");
      }
      this.challengeResource = resource;
      return this;
    }

    /** Request handler threads (default 16). */
    public Builder threads(int threads) {
      if (threads < 1 || threads > 256) {
        throw new IllegalArgumentException("threads must be 1..256");
      }
      this.threads = threads;
      return this;
    }

    public AzureKeyVaultFake start() {
      try {
        return new AzureKeyVaultFake(this);
      } catch (IOException e) {
        throw new UncheckedIOException("could not bind the Azure Key Vault fake on 127.0.0.1:" + port, e);
      }
    }
  }
}
