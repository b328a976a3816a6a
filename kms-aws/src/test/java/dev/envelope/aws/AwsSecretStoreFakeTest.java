package dev.envelope.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import dev.envelope.secrets.CachingSecrets;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import dev.envelope.secrets.Version;
import dev.envelope.secrets.VersionInfo;
import dev.envelope.testkit.FaultInjector;
import dev.envelope.testkit.aws.AwsFake;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** {@link AwsSecretStore} with the real SDK client against the testkit's Secrets Manager fake. */
class AwsSecretStoreFakeTest {
  static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create(AwsFake.ACCESS_KEY_ID, AwsFake.SECRET_ACCESS_KEY));
  static final String V1 = "{\"username\":\"app\",\"password\":\"first-Secret-1\"}";
  static final String V2 = "{\"username\":\"app\",\"password\":\"second-Secret-2\"}";

  private final AwsFake fake = AwsFake.start();
  private final SecretsManagerClient client = SecretsManagerClient.builder().endpointOverride(fake.endpoint())
      .region(Region.of(fake.region())).credentialsProvider(CREDENTIALS)
      .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
  private final AwsSecretStore store = AwsSecretStore.create(client);

  @AfterEach
  void close() {
    client.close();
    fake.close();
  }

  private String currentId(String name) {
    return client.getSecretValue(b -> b.secretId(name)).versionId();
  }

  @Test
  void get_stages_followARotation() {
    fake.createSecret(fake.region(), "prod/db", V1);
    String v1 = currentId("prod/db");
    assertThatThrownBy(() -> store.get("prod/db", Version.pending()))
        .isInstanceOf(SecretNotFoundException.class).hasMessageContaining("prod/db").hasMessageContaining("pending");

    String v2 = fake.putSecretValue(fake.region(), "prod/db", V2, "AWSPENDING");
    SecretValue current = store.get("prod/db");
    SecretValue pending = store.get("prod/db", Version.pending());
    assertThat(current.asString()).isEqualTo(V1);
    assertThat(current.versionId()).isEqualTo(v1);
    assertThat(current.stages()).containsExactly("AWSCURRENT");
    assertThat(pending.asString()).isEqualTo(V2);
    assertThat(pending.versionId()).isEqualTo(v2);
    assertThat(pending.stages()).containsExactly("AWSPENDING");
    assertThat(store.get("prod/db", Version.stage("AWSPENDING")).versionId()).isEqualTo(v2);

    client.updateSecretVersionStage(b -> b.secretId("prod/db").versionStage("AWSCURRENT")
        .moveToVersionId(v2).removeFromVersionId(v1));

    assertThat(store.get("prod/db", Version.current()).versionId()).isEqualTo(v2);
    assertThat(store.get("prod/db", Version.current()).stages()).contains("AWSCURRENT", "AWSPENDING");
    SecretValue previous = store.get("prod/db", Version.previous());
    assertThat(previous.versionId()).isEqualTo(v1);
    assertThat(previous.asString()).isEqualTo(V1);
    assertThat(previous.stages()).containsExactly("AWSPREVIOUS");
  }

  @Test
  void get_byVersionIdAndCustomStage() {
    fake.createSecret(fake.region(), "api-key", "k1");
    String v1 = currentId("api-key");
    String v2 = fake.putSecretValue(fake.region(), "api-key", "k2", "AWSCURRENT", "blue");

    assertThat(store.get("api-key", Version.id(v1)).asString()).isEqualTo("k1");
    assertThat(store.get("api-key", Version.id(v1)).stages()).containsExactly("AWSPREVIOUS");
    assertThat(store.get("api-key", Version.id(v2)).asString()).isEqualTo("k2");
    assertThat(store.get("api-key", Version.stage("blue")).versionId()).isEqualTo(v2);
    String unknown = UUID.randomUUID().toString();
    assertThatThrownBy(() -> store.get("api-key", Version.id(unknown)))
        .isInstanceOf(SecretNotFoundException.class).hasMessageContaining(unknown);
    assertThatThrownBy(() -> store.get("api-key", Version.stage("green")))
        .isInstanceOf(SecretNotFoundException.class).hasMessageContaining("stage:green");
  }

  @Test
  void get_secretBinary_returnsTheBytes() {
    byte[] raw = {0, 1, 2, (byte) 0xff, (byte) 0xfe};
    client.createSecret(b -> b.name("tls/key").secretBinary(SdkBytes.fromByteArray(raw)));

    SecretValue v = store.get("tls/key");

    assertThat(v.asBytes()).isEqualTo(raw);
    assertThat(v.toString()).doesNotContain("\u00ff");
  }

  @Test
  void get_byArn_sameSecret() {
    String arn = fake.createSecret(fake.region(), "by-arn", "x");

    assertThat(store.get(arn).asString()).isEqualTo("x");
    assertThat(store.get(arn).name()).isEqualTo(arn);
  }

  @Test
  void get_missingSecret_secretNotFound() {
    assertThatThrownBy(() -> store.get("nope"))
        .isInstanceOf(SecretNotFoundException.class).hasMessageContaining("'nope'");
    assertThatThrownBy(() -> store.versions("nope")).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void get_badName_illegalArgument() {
    assertThatThrownBy(() -> store.get("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.get("a b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.get("x".repeat(2049))).isInstanceOf(IllegalArgumentException.class);
    assertThat(fake.calls().total()).isZero();
  }

  @Test
  void get_deletedSecret_secretNotFound() {
    fake.createSecret(fake.region(), "gone", V1);
    client.deleteSecret(b -> b.secretId("gone").recoveryWindowInDays(7L));

    assertThatThrownBy(() -> store.get("gone"))
        .isInstanceOf(SecretNotFoundException.class).hasMessageNotContaining("first-Secret-1");
  }

  @Test
  void versions_allPages_newestFirst_withStages() {
    fake.createSecret(fake.region(), "many", "v0");
    String pending = null;
    for (int i = 1; i <= 120; i++) {
      pending = fake.putSecretValue(fake.region(), "many", "v" + i, i == 120 ? "AWSPENDING" : "AWSCURRENT");
    }
    fake.resetRequests();

    List<VersionInfo> versions = store.versions("many");

    assertThat(fake.calls().count("ListSecretVersionIds")).isEqualTo(2);
    // Like the service, the fake keeps only the newest ~100 versions without a label.
    List<String> expected = client.listSecretVersionIdsPaginator(b -> b.secretId("many").includeDeprecated(true))
        .stream().flatMap(r -> r.versions().stream()).map(v -> v.versionId()).toList();
    assertThat(expected).hasSizeGreaterThan(100);
    assertThat(versions).extracting(VersionInfo::id).doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(expected).contains(pending);
    assertThat(versions).allSatisfy(v -> {
      assertThat(v.state()).isEqualTo(VersionInfo.State.ENABLED);
      assertThat(v.created()).isNotNull();
    });
    for (int i = 1; i < versions.size(); i++) {
      assertThat(versions.get(i - 1).created()).isAfterOrEqualTo(versions.get(i).created());
    }
    String finalPending = pending;
    assertThat(versions).filteredOn(v -> v.id().equals(finalPending)).singleElement()
        .satisfies(v -> assertThat(v.stages()).containsExactly("AWSPENDING"));
    assertThat(versions).filteredOn(v -> v.hasStage("AWSCURRENT")).hasSize(1);
    assertThat(versions).filteredOn(v -> v.hasStage("AWSPREVIOUS")).hasSize(1);
  }

  @Test
  void get_throttledTwice_retriedBySdk_succeeds() {
    fake.createSecret(fake.region(), "busy", V1);
    fake.resetRequests();
    fake.faults().throttle("GetSecretValue", 2);

    assertThat(store.get("busy").asString()).isEqualTo(V1);
    assertThat(fake.calls().count("GetSecretValue")).isEqualTo(3);
  }

  @Test
  void get_throttledBeyondRetries_retryableKmsException() {
    fake.createSecret(fake.region(), "busy", V1);
    fake.faults().throttle("GetSecretValue", FaultInjector.ALWAYS);
    try (AwsSecretStore own = AwsSecretStore.builder().endpoint(fake.endpoint()).region(fake.region())
        .credentialsProvider(CREDENTIALS).maxAttempts(2).build()) {
      assertThatThrownBy(() -> own.get("busy"))
          .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isTrue())
          .hasMessageContaining("ThrottlingException").hasMessageNotContaining("first-Secret-1");
    }
    assertThat(fake.calls().count("GetSecretValue")).isEqualTo(2);
  }

  @Test
  void get_serverErrors_retryable() {
    fake.createSecret(fake.region(), "flaky", V1);
    fake.faults().serverError("GetSecretValue", FaultInjector.ALWAYS);

    assertThatThrownBy(() -> store.get("flaky"))
        .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isTrue());
  }

  @Test
  void get_accessDenied_accessDeniedException() {
    fake.createSecret(fake.region(), "locked", V1);
    fake.faults().error("GetSecretValue", "AccessDeniedException", 1);

    assertThatThrownBy(() -> store.get("locked"))
        .isInstanceOf(AccessDeniedException.class).hasMessageContaining("locked");
  }

  @Test
  void get_decryptionFailure_notRetryable() {
    fake.createSecret(fake.region(), "broken", V1);
    fake.faults().error("GetSecretValue", "DecryptionFailure", 1);

    assertThatThrownBy(() -> store.get("broken"))
        .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isFalse())
        .hasMessageContaining("DecryptionFailure").hasMessageNotContaining("first-Secret-1");
  }

  @Test
  void cachingSecrets_32ThreadsColdGet_oneGetSecretValue() throws Exception {
    fake.createSecret(fake.region(), "hot", V1);
    fake.resetRequests();
    fake.faults().latency("GetSecretValue", Duration.ofMillis(200));
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
        assertThat(f.get(20, TimeUnit.SECONDS)).isEqualTo(V1);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(fake.calls().count("GetSecretValue")).isEqualTo(1);
  }

  @Test
  void provider_awsSm_resolvesAStoreOnTheEndpoint() {
    fake.createSecret(fake.region(), "via-provider", "p");
    String oldKey = System.setProperty("aws.accessKeyId", AwsFake.ACCESS_KEY_ID);
    String oldSecret = System.setProperty("aws.secretAccessKey", AwsFake.SECRET_ACCESS_KEY);
    try {
      SecretStore s = SecretStore.resolve("aws-sm",
          Map.of("endpoint", fake.endpoint().toString(), "region", fake.region()));
      try {
        assertThat(s).isInstanceOf(AwsSecretStore.class);
        assertThat(s.get("via-provider").asBytes()).isEqualTo("p".getBytes(StandardCharsets.UTF_8));
      } finally {
        ((AutoCloseable) s).close();
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    } finally {
      restore("aws.accessKeyId", oldKey);
      restore("aws.secretAccessKey", oldSecret);
    }
  }

  @Test
  void provider_badSpecOrOption_illegalArgument() {
    assertThatThrownBy(() -> SecretStore.resolve("aws-sm:us-east-1", Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no argument");
    assertThatThrownBy(() -> SecretStore.resolve("aws-sm", Map.of("trust", "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown option");
    assertThatThrownBy(() -> SecretStore.resolve("aws-sm", Map.of("region", "Mars")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builder_badValues_illegalArgument() {
    assertThatThrownBy(() -> AwsSecretStore.builder().endpoint(java.net.URI.create("ftp://x")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsSecretStore.builder().maxAttempts(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsSecretStore.builder().deadline(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static void restore(String key, String old) {
    if (old == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, old);
    }
  }
}
