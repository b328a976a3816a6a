package dev.envelope.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import com.azure.security.keyvault.secrets.models.SecretProperties;
import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import dev.envelope.secrets.CachingSecrets;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import dev.envelope.secrets.Version;
import dev.envelope.secrets.VersionInfo;
import dev.envelope.testkit.azure.AzureFaults;
import dev.envelope.testkit.azure.AzureKeyVaultFake;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/** {@link AzureSecretStore} with the real SecretClient against the testkit's Key Vault fake. */
class AzureSecretStoreTest {
  /** A clock the test moves; the fake stamps versions with it, in whole seconds as Key Vault does. */
  static final class MovingClock extends Clock {
    private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  private final MovingClock clock = new MovingClock();
  private final AzureKeyVaultFake fake = AzureKeyVaultFake.builder().clock(clock).start();
  private final SecretClient client = new SecretClientBuilder().vaultUrl(fake.vaultUrl())
      .credential(r -> Mono.just(new AccessToken("test", OffsetDateTime.now().plusHours(1))))
      .httpClient(new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(fake.sslContext())).build())
      .disableChallengeResourceVerification().buildClient();
  private final AzureSecretStore store = AzureSecretStore.create(client, clock);

  @AfterEach
  void close() {
    fake.close();
  }

  /** A new version, one second after the last, so versions have distinct creation times. */
  private String set(String name, String value) {
    clock.advance(Duration.ofSeconds(1));
    return fake.setSecret(name, value);
  }

  private AzureSecretStore.Builder ownClient() {
    return AzureSecretStore.builder().vaultUrl(fake.vaultUrl()).sslContext(fake.sslContext()).clock(clock)
        .maxRetries(2).retryBackoff(Duration.ofMillis(5), Duration.ofMillis(20)).deadline(Duration.ofSeconds(5));
  }

  @Test
  void get_currentAndPrevious_followNewVersionsAndDisabling() {
    String v0 = set("db", "p0");
    String v1 = set("db", "p1");
    String v2 = set("db", "p2");

    SecretValue current = store.get("db");
    assertThat(current.asString()).isEqualTo("p2");
    assertThat(current.versionId()).isEqualTo(v2);
    assertThat(store.get("db", Version.previous()).versionId()).isEqualTo(v1);

    fake.setSecretEnabled("db", v2, false);

    assertThat(store.get("db").versionId()).isEqualTo(v1);
    assertThat(store.get("db").asString()).isEqualTo("p1");
    assertThat(store.get("db", Version.previous()).versionId()).isEqualTo(v0);
  }

  @Test
  void get_current_oneCallWhenTheNewestVersionIsLive() {
    set("api", "a1");
    set("api", "a2");
    store.get("api");

    assertThat(fake.faults().calls(AzureFaults.GET_SECRET)).isEqualTo(1);
    assertThat(fake.faults().calls(AzureFaults.LIST_SECRET_VERSIONS)).isZero();
  }

  @Test
  void get_pending_isTheVersionWithAFutureNotBefore_untilItActivates() {
    String v1 = set("db", "old-password");
    clock.advance(Duration.ofSeconds(1));
    String v2 = client.setSecret(new KeyVaultSecret("db", "new-password").setProperties(new SecretProperties()
        .setNotBefore(OffsetDateTime.ofInstant(clock.instant().plus(Duration.ofHours(1)), ZoneOffset.UTC))))
        .getProperties().getVersion();

    assertThat(store.get("db").versionId()).isEqualTo(v1);
    SecretValue pending = store.get("db", Version.pending());
    assertThat(pending.versionId()).isEqualTo(v2);
    assertThat(pending.asString()).isEqualTo("new-password");

    clock.advance(Duration.ofHours(2));

    assertThat(store.get("db").versionId()).isEqualTo(v2);
    assertThat(store.get("db", Version.previous()).versionId()).isEqualTo(v1);
    assertThatThrownBy(() -> store.get("db", Version.pending()))
        .isInstanceOf(SecretNotFoundException.class).hasMessageContaining("no rotation is under way");
  }

  @Test
  void get_byId_andUnsupportedStage() {
    String v1 = set("k", "one");
    String v2 = set("k", "two");
    fake.setSecretEnabled("k", v2, false);

    assertThat(store.get("k", Version.id(v1)).asString()).isEqualTo("one");
    assertThatThrownBy(() -> store.get("k", Version.id(v2)))
        .isInstanceOf(SecretNotFoundException.class).hasMessageContaining("disabled").hasMessageNotContaining("two");
    assertThatThrownBy(() -> store.get("k", Version.id("0123456789abcdef0123456789abcdef")))
        .isInstanceOf(SecretNotFoundException.class);
    assertThatThrownBy(() -> store.get("k", Version.stage("AWSCURRENT")))
        .isInstanceOf(SecretNotFoundException.class).hasMessageContaining("no staging labels");
  }

  @Test
  void get_everyVersionDisabled_secretNotFound() {
    String v1 = set("off", "x");
    fake.setSecretEnabled("off", v1, false);

    assertThatThrownBy(() -> store.get("off")).isInstanceOf(SecretNotFoundException.class);
    assertThatThrownBy(() -> store.get("off", Version.previous())).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void versions_allPages_newestFirst_withState() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      ids.add(set("many", "v" + i));
    }
    fake.setSecretEnabled("many", ids.get(3), false);

    List<VersionInfo> versions = store.versions("many");
    List<String> newestFirst = new ArrayList<>(ids);
    java.util.Collections.reverse(newestFirst);

    assertThat(fake.faults().calls(AzureFaults.LIST_SECRET_VERSIONS)).isEqualTo(2);
    assertThat(versions).extracting(VersionInfo::id).containsExactlyElementsOf(newestFirst);
    assertThat(versions).filteredOn(v -> v.state() == VersionInfo.State.DISABLED).extracting(VersionInfo::id)
        .containsExactly(ids.get(3));
    assertThat(versions.get(0).created()).isEqualTo(clock.instant());
    assertThat(versions).allSatisfy(v -> assertThat(v.stages()).isEmpty());
  }

  @Test
  void get_missing_secretNotFound() {
    assertThatThrownBy(() -> store.get("nope")).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("'nope'");
    assertThatThrownBy(() -> store.versions("nope")).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void get_badName_illegalArgument() {
    assertThatThrownBy(() -> store.get("a/b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.get("x".repeat(128))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void get_rbacDenied_accessDenied() {
    set("locked", "secret-value-1");
    fake.faults().denyAccess(AzureFaults.GET_SECRET);

    assertThatThrownBy(() -> store.get("locked")).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("ForbiddenByRbac").hasMessageNotContaining("secret-value-1");
  }

  @Test
  void get_throttledTwice_retried_succeeds() {
    set("busy", "b");
    AzureSecretStore own = ownClient().build();
    fake.faults().throttleNext(AzureFaults.GET_SECRET, 2, Duration.ZERO);

    assertThat(own.get("busy").asString()).isEqualTo("b");
    assertThat(fake.faults().calls(AzureFaults.GET_SECRET)).isEqualTo(3);
  }

  @Test
  void get_throttledOrUnavailableBeyondRetries_retryableKmsException() {
    set("busy", "b");
    AzureSecretStore own = ownClient().build();
    fake.faults().throttleAlways(AzureFaults.GET_SECRET, Duration.ZERO);
    assertThatThrownBy(() -> own.get("busy"))
        .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isTrue())
        .hasMessageContaining("429");

    fake.faults().failAlways(AzureFaults.LIST_SECRET_VERSIONS, 503, "ServiceUnavailable");
    assertThatThrownBy(() -> own.versions("busy"))
        .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isTrue());
  }

  @Test
  void get_badRequest_notRetryable() {
    set("odd", "o");
    fake.faults().failNext(AzureFaults.GET_SECRET, 400, "BadParameter", 1);

    assertThatThrownBy(() -> store.get("odd"))
        .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isFalse());
  }

  @Test
  void cachingSecrets_32ThreadsColdGet_oneGetSecret() throws Exception {
    set("hot", "h");
    fake.faults().latency(AzureFaults.GET_SECRET, Duration.ofMillis(200));
    ExecutorService pool = Executors.newFixedThreadPool(32);
    try (CachingSecrets secrets = CachingSecrets.builder().store(store).build()) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        results.add(pool.submit(() -> {
          start.await();
          return secrets.get("hot").asString();
        }));
      }
      start.countDown();
      for (Future<String> f : results) {
        assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo("h");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(fake.faults().calls(AzureFaults.GET_SECRET)).isEqualTo(1);
  }

  @Test
  void provider_azureKv_withTrustFile(@TempDir Path dir) throws Exception {
    set("via-provider", "pv");
    Path pem = fake.writeCertificatePem(dir.resolve("fake.pem"));

    SecretStore s = SecretStore.resolve("azure-kv:" + fake.vaultUrl(), Map.of("trust", pem.toString()));

    assertThat(s).isInstanceOf(AzureSecretStore.class);
    assertThat(s.get("via-provider").asString()).isEqualTo("pv");
  }

  @Test
  void provider_productionVaultUrlRedirectedToTheFake(@TempDir Path dir) throws Exception {
    set("redirected", "r");
    Path pem = fake.writeCertificatePem(dir.resolve("fake.pem"));

    SecretStore s = SecretStore.resolve("azure-kv:https://prod.vault.azure.net",
        Map.of("endpoint", fake.vaultUrl(), "trust", pem.toString()));

    assertThat(s.get("redirected").asString()).isEqualTo("r");
  }

  @Test
  void provider_badSpecOrOption_illegalArgument(@TempDir Path dir) throws Exception {
    assertThatThrownBy(() -> SecretStore.resolve("azure-kv", Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("vault URL");
    assertThatThrownBy(() -> SecretStore.resolve("azure-kv:http://v.vault.azure.net", Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SecretStore.resolve("azure-kv:https://v.vault.azure.net", Map.of("region", "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option");
    assertThatThrownBy(() -> SecretStore.resolve("azure-kv:https://v.vault.azure.net",
        Map.of("endpoint", "https://example.com")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loopback");
    Path empty = Files.writeString(dir.resolve("empty.pem"), "");
    assertThatThrownBy(() -> SecretStore.resolve("azure-kv:https://v.vault.azure.net",
        Map.of("trust", empty.toString()))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builder_missingVault_illegalState() {
    assertThatThrownBy(() -> AzureSecretStore.builder().build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> AzureSecretStore.builder().maxRetries(11)).isInstanceOf(IllegalArgumentException.class);
  }
}
