package dev.envelope.gcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.secretmanager.v1.CreateSecretRequest;
import com.google.cloud.secretmanager.v1.Replication;
import com.google.cloud.secretmanager.v1.Secret;
import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import dev.envelope.secrets.Version;
import dev.envelope.secrets.VersionInfo;
import dev.envelope.testkit.gcp.FakeSecretManager;
import dev.envelope.testkit.gcp.GcpFakes;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GcpSecretStore with the real Secret Manager client against the testkit's gRPC fake. */
class GcpSecretStoreTest {
  private static final String PROJECT = "projects/envelope-test";
  private static final String DB = PROJECT + "/secrets/orders-db";

  private GcpFakes fakes;
  private FakeSecretManager sm;
  private SecretManagerServiceClient client;
  private GcpSecretStore store;

  @BeforeEach
  void start() {
    fakes = GcpFakes.start();
    sm = fakes.secretManager();
    client = RealClients.secretManager(fakes);
    store = GcpSecretStore.builder().client(client).project(PROJECT).deadline(Duration.ofSeconds(5)).build();
    sm.createSecret(DB);
    sm.addVersion(DB, "pw-one".getBytes(UTF_8));
    sm.addVersion(DB, "pw-two".getBytes(UTF_8));
    sm.addVersion(DB, "pw-three".getBytes(UTF_8));
    fakes.faults().reset();
  }

  @AfterEach
  void stop() {
    store.close();
    client.close();
    fakes.close();
  }

  /** A secret whose alias {@code current} names version {@code pinned}; versions 1..n hold v1..vn. */
  private String aliasedSecret(String id, long pinned, int n) {
    client.createSecret(CreateSecretRequest.newBuilder().setParent(PROJECT).setSecretId(id)
        .setSecret(Secret.newBuilder()
            .setReplication(Replication.newBuilder().setAutomatic(Replication.Automatic.getDefaultInstance()))
            .putVersionAliases("current", pinned)
            .putVersionAliases("canary", n))
        .build());
    String name = PROJECT + "/secrets/" + id;
    for (int i = 1; i <= n; i++) {
      sm.addVersion(name, ("v" + i).getBytes(UTF_8));
    }
    fakes.faults().reset();
    return name;
  }

  @Test
  void get_current_newestVersionInOneAccessCall() {
    SecretValue v = store.get("orders-db");

    assertThat(v.asString()).isEqualTo("pw-three");
    assertThat(v.versionId()).isEqualTo("3");
    assertThat(v.name()).isEqualTo("orders-db");
    assertThat(v.stages()).isEmpty();
    assertThat(fakes.faults().calls()).containsExactly(Map.entry("AccessSecretVersion", 1L));
  }

  @Test
  void get_byId_thatVersion_unknownOrMalformedNotFound() {
    assertThat(store.get("orders-db", Version.id("1")).asString()).isEqualTo("pw-one");
    assertThat(store.get("orders-db", Version.id("2")).versionId()).isEqualTo("2");

    assertThatThrownBy(() -> store.get("orders-db", Version.id("99"))).isInstanceOf(SecretNotFoundException.class);
    assertThatThrownBy(() -> store.get("orders-db", Version.id("latest"))).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("positive numbers");
    assertThatThrownBy(() -> store.get("orders-db", Version.id("0"))).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void get_fullNameInAnotherProject_readsIt() {
    String other = "projects/shared-secrets/secrets/api-key";
    sm.createSecret(other);
    sm.addVersion(other, "k".getBytes(UTF_8));

    SecretValue v = store.get(other);

    assertThat(v.asString()).isEqualTo("k");
    assertThat(v.name()).isEqualTo(other);
  }

  @Test
  void get_previous_enabledVersionBeforeCurrent() {
    assertThat(store.get("orders-db", Version.previous()).asString()).isEqualTo("pw-two");

    sm.setVersionEnabled(DB + "/versions/2", false);
    assertThat(store.get("orders-db", Version.previous()).asString()).isEqualTo("pw-one");

    sm.setVersionEnabled(DB + "/versions/1", false);
    assertThatThrownBy(() -> store.get("orders-db", Version.previous())).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("no enabled version older");
  }

  @Test
  void get_latestDisabled_currentFallsBackToNewestEnabled() {
    sm.setVersionEnabled(DB + "/versions/3", false);

    SecretValue v = store.get("orders-db");

    assertThat(v.asString()).isEqualTo("pw-two");
    assertThat(v.versionId()).isEqualTo("2");
    assertThat(store.get("orders-db", Version.previous()).asString()).isEqualTo("pw-one");
    // Secret Manager's own latest stays the disabled version.
    assertThatThrownBy(() -> store.get("orders-db", Version.stage("latest")))
        .isInstanceOf(SecretNotFoundException.class).hasMessageContaining("disabled or destroyed");
  }

  @Test
  void get_disabledOrDestroyedVersionById_notFoundWithReason() {
    sm.setVersionEnabled(DB + "/versions/2", false);
    client.destroySecretVersion(DB + "/versions/1");

    assertThatThrownBy(() -> store.get("orders-db", Version.id("2"))).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("version 2 is disabled or destroyed");
    assertThatThrownBy(() -> store.get("orders-db", Version.id("1"))).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("version 1 is disabled or destroyed");
  }

  @Test
  void get_noEnabledVersionAtAll_notFound() {
    for (int i = 1; i <= 3; i++) {
      sm.setVersionEnabled(DB + "/versions/" + i, false);
    }
    assertThatThrownBy(() -> store.get("orders-db")).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("no enabled version");
  }

  @Test
  void get_latestDisabledAndListDenied_notFoundNamingThePermission() {
    sm.setVersionEnabled(DB + "/versions/3", false);
    sm.deny(DB, "secretmanager.versions.list");

    assertThatThrownBy(() -> store.get("orders-db")).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("secretmanager.versions.list");
  }

  @Test
  void get_pendingWithoutCurrentAlias_notFoundWithoutCallingTheService() {
    assertThatThrownBy(() -> store.get("orders-db", Version.pending())).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("no rotation under way");
    assertThat(fakes.faults().calls("*")).isZero();
  }

  @Test
  void currentAlias_pinsCurrent_newerEnabledVersionIsPending() {
    String name = aliasedSecret("rotating", 1, 3);
    sm.setVersionEnabled(name + "/versions/3", false);
    try (GcpSecretStore pinned = GcpSecretStore.builder().client(client).project(PROJECT).currentAlias("current").build()) {
      SecretValue current = pinned.get("rotating");
      assertThat(current.asString()).isEqualTo("v1");
      assertThat(current.stages()).containsExactly("current");

      SecretValue pending = pinned.get("rotating", Version.pending());
      assertThat(pending.asString()).isEqualTo("v2");
      assertThat(pending.versionId()).isEqualTo("2");

      assertThatThrownBy(() -> pinned.get("rotating", Version.previous())).isInstanceOf(SecretNotFoundException.class);

      // Secrets without the alias behave as without the setting.
      assertThat(pinned.get("orders-db").asString()).isEqualTo("pw-three");
      assertThatThrownBy(() -> pinned.get("orders-db", Version.pending())).isInstanceOf(SecretNotFoundException.class)
          .hasMessageContaining("no alias 'current'");
    }
    // Without the setting the same secret's current is its newest enabled version.
    assertThat(store.get("rotating").asString()).isEqualTo("v2");
  }

  @Test
  void currentAlias_pinnedAtNewest_noPendingPreviousBelow() {
    aliasedSecret("settled", 2, 2);
    try (GcpSecretStore pinned = GcpSecretStore.builder().client(client).project(PROJECT).currentAlias("current").build()) {
      assertThat(pinned.get("settled").asString()).isEqualTo("v2");
      assertThat(pinned.get("settled", Version.previous()).asString()).isEqualTo("v1");
      assertThatThrownBy(() -> pinned.get("settled", Version.pending())).isInstanceOf(SecretNotFoundException.class)
          .hasMessageContaining("no rotation under way");
    }
  }

  @Test
  void get_stage_resolvesAlias() {
    aliasedSecret("aliased", 1, 3);

    SecretValue canary = store.get("aliased", Version.stage("canary"));
    assertThat(canary.asString()).isEqualTo("v3");
    assertThat(canary.stages()).containsExactly("canary");
    assertThat(store.get("aliased", Version.stage("current")).asString()).isEqualTo("v1");
    assertThat(store.get("aliased", Version.stage("latest")).asString()).isEqualTo("v3");
    assertThatThrownBy(() -> store.get("aliased", Version.stage("nope"))).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("no alias 'nope'");
  }

  @Test
  void versions_everyVersionNewestFirst_stateAliasesCreated() {
    aliasedSecret("listed", 1, 3);
    String name = PROJECT + "/secrets/listed";
    sm.setVersionEnabled(name + "/versions/2", false);
    client.destroySecretVersion(name + "/versions/1");

    List<VersionInfo> versions = store.versions("listed");

    assertThat(versions).extracting(VersionInfo::id).containsExactly("3", "2", "1");
    assertThat(versions).extracting(VersionInfo::state)
        .containsExactly(VersionInfo.State.ENABLED, VersionInfo.State.DISABLED, VersionInfo.State.DESTROYED);
    assertThat(versions.get(0).stages()).containsExactly("canary");
    assertThat(versions.get(2).stages()).containsExactly("current");
    assertThat(versions.get(1).stages()).isEmpty();
    assertThat(versions).allSatisfy(v -> assertThat(v.created()).isNotNull().isBefore(Instant.now().plusSeconds(1)));
    assertThat(fakes.faults().calls("AccessSecretVersion")).isZero();
  }

  @Test
  void versions_moreThanOnePage_allListed() {
    String many = PROJECT + "/secrets/many";
    sm.createSecret(many);
    int n = GcpSecretStore.LIST_PAGE_SIZE + 10;
    for (int i = 1; i <= n; i++) {
      sm.addVersion(many, new byte[] {(byte) i});
    }
    fakes.faults().reset();

    List<VersionInfo> versions = store.versions("many");

    assertThat(versions).hasSize(n);
    assertThat(versions.get(0).id()).isEqualTo(Integer.toString(n));
    assertThat(versions.get(n - 1).id()).isEqualTo("1");
    assertThat(fakes.faults().calls("ListSecretVersions")).isEqualTo(2);
  }

  @Test
  void get_corruptChecksumOnce_retriedAndVerified() {
    fakes.faults().corruptChecksums("AccessSecretVersion", 1);

    assertThat(store.get("orders-db").asString()).isEqualTo("pw-three");
    assertThat(fakes.faults().calls("AccessSecretVersion")).isEqualTo(2);
  }

  @Test
  void get_checksumAlwaysCorrupt_nonRetryableFailureWithoutTheValue() {
    fakes.faults().corruptChecksums("AccessSecretVersion", Integer.MAX_VALUE);

    assertThatThrownBy(() -> store.get("orders-db"))
        .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isFalse())
        .hasMessageContaining("data_crc32c mismatch")
        .hasMessageNotContaining("pw-three");
    assertThat(fakes.faults().calls("AccessSecretVersion")).isEqualTo(GcpSecretStore.INTEGRITY_ATTEMPTS);
  }

  @Test
  void get_unknownSecret_notFound() {
    assertThatThrownBy(() -> store.get("missing")).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("secret 'missing'");
    assertThatThrownBy(() -> store.get("missing", Version.previous())).isInstanceOf(SecretNotFoundException.class);
    assertThatThrownBy(() -> store.versions("missing")).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void get_permissionDenied_accessDenied() {
    sm.deny(DB, FakeSecretManager.ACCESS_PERMISSION);

    assertThatThrownBy(() -> store.get("orders-db")).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("PERMISSION_DENIED");
    assertThatThrownBy(() -> store.get("orders-db", Version.id("1"))).isInstanceOf(AccessDeniedException.class);

    sm.allowAll();
    sm.deny(PROJECT, "*");
    assertThatThrownBy(() -> store.versions("orders-db")).isInstanceOf(AccessDeniedException.class);
  }

  @Test
  void get_throttledThenAvailable_retriedWithinDeadline() {
    fakes.faults().failNext("AccessSecretVersion", Status.Code.RESOURCE_EXHAUSTED, 2);

    assertThat(store.get("orders-db").asString()).isEqualTo("pw-three");
    assertThat(fakes.faults().calls("AccessSecretVersion")).isEqualTo(3);

    fakes.faults().failNext("ListSecretVersions", Status.Code.UNAVAILABLE, 1);
    assertThat(store.versions("orders-db")).hasSize(3);
  }

  @Test
  void get_unavailablePastDeadline_retryableKmsException() {
    fakes.faults().failAlways("AccessSecretVersion", Status.Code.UNAVAILABLE);
    try (GcpSecretStore quick = GcpSecretStore.builder().client(client).project(PROJECT)
        .deadline(Duration.ofMillis(600)).build()) {
      assertThatThrownBy(() -> quick.get("orders-db"))
          .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isTrue());
    }
    assertThat(fakes.faults().calls("AccessSecretVersion")).isGreaterThan(1);
  }

  @Test
  void get_badNames_illegalArgument() {
    assertThatThrownBy(() -> store.get("prod/db")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.get("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.get("projects/p/secrets/x/versions/1")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.versions("a b")).isInstanceOf(IllegalArgumentException.class);
    assertThat(fakes.faults().calls("*")).isZero();
  }

  @Test
  void builder_missingOrConflictingSettings_rejected() {
    assertThatThrownBy(() -> GcpSecretStore.builder().client(client).build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> GcpSecretStore.builder().client(client).endpoint(fakes.endpoint()).project(PROJECT).build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> GcpSecretStore.builder().project("envelope-test")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GcpSecretStore.builder().currentAlias("latest")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GcpSecretStore.builder().currentAlias("1st")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GcpSecretStore.builder().deadline(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GcpSecretStore.builder().endpoint("nope")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builder_loopbackEndpoint_ownsPlaintextClient() {
    try (GcpSecretStore own = GcpSecretStore.builder().project(PROJECT).endpoint(fakes.endpoint()).build()) {
      assertThat(own.get("orders-db", Version.id("2")).asString()).isEqualTo("pw-two");
      assertThat(own).hasToString("GcpSecretStore[" + PROJECT + "]");
    }
  }

  @Test
  void resolve_gcpSmSpec_providerBuildsStore() throws Exception {
    SecretStore resolved = SecretStore.resolve("gcp-sm:envelope-test", Map.of("endpoint", fakes.endpoint()));
    try {
      assertThat(resolved).isInstanceOf(GcpSecretStore.class);
      assertThat(((GcpSecretStore) resolved).project()).isEqualTo(PROJECT);
      assertThat(resolved.get("orders-db").asString()).isEqualTo("pw-three");
    } finally {
      ((AutoCloseable) resolved).close();
    }
    aliasedSecret("via-spec", 1, 2);
    SecretStore pinned = SecretStore.resolve("gcp-sm:" + PROJECT,
        Map.of("endpoint", fakes.endpoint(), "current-alias", "current"));
    try {
      assertThat(pinned.get("via-spec").asString()).isEqualTo("v1");
      assertThat(pinned.get("via-spec", Version.pending()).asString()).isEqualTo("v2");
    } finally {
      ((AutoCloseable) pinned).close();
    }
    assertThatThrownBy(() -> SecretStore.resolve("gcp-sm:p", Map.of("region", "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("region");
    assertThatThrownBy(() -> SecretStore.resolve("gcp-sm", Map.of())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gcp-sm:PROJECT");
  }

  @Test
  void value_toStringAndErrors_neverShowTheValue() {
    SecretValue v = store.get("orders-db");
    assertThat(v.toString()).doesNotContain("pw-three").contains("orders-db").contains("3");
    assertThat(store.toString()).doesNotContain("pw");
  }
}
