package dev.envelope.testkit.gcp;

import static dev.envelope.testkit.gcp.Clients.crc32c;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.rpc.AbortedException;
import com.google.api.gax.rpc.AlreadyExistsException;
import com.google.api.gax.rpc.FailedPreconditionException;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.api.gax.rpc.PermissionDeniedException;
import com.google.cloud.secretmanager.v1.AccessSecretVersionResponse;
import com.google.cloud.secretmanager.v1.DisableSecretVersionRequest;
import com.google.cloud.secretmanager.v1.ListSecretVersionsRequest;
import com.google.cloud.secretmanager.v1.ListSecretVersionsResponse;
import com.google.cloud.secretmanager.v1.Replication;
import com.google.cloud.secretmanager.v1.Secret;
import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import com.google.cloud.secretmanager.v1.SecretPayload;
import com.google.cloud.secretmanager.v1.SecretVersion;
import com.google.cloud.secretmanager.v1.SecretVersion.State;
import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeSecretManagerTest {
  private static final String PROJECT = "projects/test-project";
  private static final String SECRET = PROJECT + "/secrets/db-password";

  private GcpFakes fakes;
  private SecretManagerServiceClient client;

  @BeforeEach
  void start() {
    fakes = GcpFakes.start();
    client = Clients.secretManager(fakes);
    client.createSecret(PROJECT, "db-password", Secret.newBuilder()
        .setReplication(Replication.newBuilder().setAutomatic(Replication.Automatic.getDefaultInstance())).build());
  }

  @AfterEach
  void stop() {
    client.close();
    fakes.close();
  }

  private SecretVersion add(String value) {
    byte[] data = value.getBytes(StandardCharsets.UTF_8);
    return client.addSecretVersion(SECRET, SecretPayload.newBuilder()
        .setData(ByteString.copyFrom(data)).setDataCrc32C(crc32c(data)).build());
  }

  private String access(String version) {
    return client.accessSecretVersion(SECRET + "/versions/" + version).getPayload().getData().toStringUtf8();
  }

  @Test
  void addSecretVersion_numbersVersionsFromOne_andRecordsTheClientChecksum() {
    SecretVersion v1 = add("first");
    SecretVersion v2 = client.addSecretVersion(SECRET,
        SecretPayload.newBuilder().setData(ByteString.copyFromUtf8("second")).build());

    assertThat(v1.getName()).isEqualTo(SECRET + "/versions/1");
    assertThat(v1.getState()).isEqualTo(State.ENABLED);
    assertThat(v1.getClientSpecifiedPayloadChecksum()).isTrue();
    assertThat(v2.getName()).isEqualTo(SECRET + "/versions/2");
    assertThat(v2.getClientSpecifiedPayloadChecksum()).isFalse();
    assertThat(v1.getEtag()).isNotEmpty().isNotEqualTo(v2.getEtag());
  }

  @Test
  void accessSecretVersion_byNumberAndLatest_returnsDataWithChecksumAndResolvedName() {
    add("first");
    add("second");

    AccessSecretVersionResponse latest = client.accessSecretVersion(SECRET + "/versions/latest");

    assertThat(latest.getName()).isEqualTo(SECRET + "/versions/2");
    assertThat(latest.getPayload().getData().toStringUtf8()).isEqualTo("second");
    assertThat(latest.getPayload().hasDataCrc32C()).isTrue();
    assertThat(latest.getPayload().getDataCrc32C()).isEqualTo(crc32c("second".getBytes(StandardCharsets.UTF_8)));
    assertThat(access("1")).isEqualTo("first");
  }

  @Test
  void addSecretVersion_checksumMismatch_isInvalidArgument() {
    assertThatThrownBy(() -> client.addSecretVersion(SECRET, SecretPayload.newBuilder()
        .setData(ByteString.copyFromUtf8("x")).setDataCrc32C(12345).build()))
        .isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> client.addSecretVersion(SECRET, SecretPayload.newBuilder()
        .setData(ByteString.copyFrom(new byte[64 * 1024 + 1])).build()))
        .isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void disabledLatest_failsWithFailedPrecondition_olderVersionStillReadable_enableRestores() {
    add("first");
    add("second");

    SecretVersion disabled = client.disableSecretVersion(SECRET + "/versions/2");

    assertThat(disabled.getState()).isEqualTo(State.DISABLED);
    assertThatThrownBy(() -> access("latest")).isInstanceOf(FailedPreconditionException.class)
        .hasMessageContaining("DISABLED");
    assertThatThrownBy(() -> access("2")).isInstanceOf(FailedPreconditionException.class);
    assertThat(access("1")).isEqualTo("first");
    assertThat(client.getSecretVersion(SECRET + "/versions/latest").getState()).isEqualTo(State.DISABLED);

    assertThat(client.enableSecretVersion(SECRET + "/versions/2").getState()).isEqualTo(State.ENABLED);
    assertThat(access("latest")).isEqualTo("second");
  }

  @Test
  void destroySecretVersion_isPermanent() {
    add("first");

    SecretVersion destroyed = client.destroySecretVersion(SECRET + "/versions/1");

    assertThat(destroyed.getState()).isEqualTo(State.DESTROYED);
    assertThat(destroyed.hasDestroyTime()).isTrue();
    assertThatThrownBy(() -> access("1")).isInstanceOf(FailedPreconditionException.class)
        .hasMessageContaining("DESTROYED");
    assertThatThrownBy(() -> client.enableSecretVersion(SECRET + "/versions/1"))
        .isInstanceOf(FailedPreconditionException.class);
  }

  @Test
  void listSecretVersions_newestFirst_filtersByState_andPages() {
    add("a");
    add("b");
    add("c");
    fakes.secretManager().setVersionEnabled(SECRET + "/versions/2", false);

    ListSecretVersionsResponse all = client.listSecretVersionsCallable().call(
        ListSecretVersionsRequest.newBuilder().setParent(SECRET).build());
    ListSecretVersionsResponse enabled = client.listSecretVersionsCallable().call(
        ListSecretVersionsRequest.newBuilder().setParent(SECRET).setFilter("state:ENABLED").build());
    ListSecretVersionsResponse page1 = client.listSecretVersionsCallable().call(
        ListSecretVersionsRequest.newBuilder().setParent(SECRET).setPageSize(2).build());

    assertThat(all.getVersionsList()).extracting(SecretVersion::getName)
        .containsExactly(SECRET + "/versions/3", SECRET + "/versions/2", SECRET + "/versions/1");
    assertThat(all.getTotalSize()).isEqualTo(3);
    assertThat(enabled.getVersionsList()).extracting(SecretVersion::getName)
        .containsExactly(SECRET + "/versions/3", SECRET + "/versions/1");
    assertThat(page1.getVersionsCount()).isEqualTo(2);
    assertThat(page1.getNextPageToken()).isNotEmpty();
    assertThat(client.listSecretVersions(SECRET).iterateAll()).hasSize(3);
  }

  @Test
  void staleEtag_isAborted_currentEtagSucceeds() {
    SecretVersion v1 = add("first");
    client.disableSecretVersion(SECRET + "/versions/1");

    assertThatThrownBy(() -> client.enableSecretVersion(
        com.google.cloud.secretmanager.v1.EnableSecretVersionRequest.newBuilder()
            .setName(v1.getName()).setEtag(v1.getEtag()).build()))
        .isInstanceOf(AbortedException.class);
    String current = client.getSecretVersion(v1.getName()).getEtag();
    assertThat(client.enableSecretVersion(com.google.cloud.secretmanager.v1.EnableSecretVersionRequest.newBuilder()
        .setName(v1.getName()).setEtag(current).build()).getState()).isEqualTo(State.ENABLED);
  }

  @Test
  void missingAndDuplicateAndMalformed_mapToTheRealCodes() {
    assertThatThrownBy(() -> access("latest")).isInstanceOf(NotFoundException.class);
    add("first");
    assertThatThrownBy(() -> access("2")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> client.accessSecretVersion(PROJECT + "/secrets/nope/versions/1"))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> access("zero")).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> access("0")).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> client.createSecret(PROJECT, "db-password", Secret.newBuilder()
        .setReplication(Replication.newBuilder().setAutomatic(Replication.Automatic.getDefaultInstance())).build()))
        .isInstanceOf(AlreadyExistsException.class);
    assertThatThrownBy(() -> client.createSecret(PROJECT, "no-replication", Secret.getDefaultInstance()))
        .isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void getSecret_andDeleteSecret_work() {
    assertThat(client.getSecret(SECRET).getName()).isEqualTo(SECRET);

    client.deleteSecret(SECRET);

    assertThatThrownBy(() -> client.getSecret(SECRET)).isInstanceOf(NotFoundException.class);
  }

  @Test
  void deniedAccess_isPermissionDenied() {
    add("first");
    fakes.secretManager().deny(SECRET, FakeSecretManager.ACCESS_PERMISSION);

    assertThatThrownBy(() -> access("1")).isInstanceOf(PermissionDeniedException.class);
    assertThat(client.getSecretVersion(SECRET + "/versions/1").getState()).isEqualTo(State.ENABLED);
  }

  @Test
  void corruptChecksums_accessReturnsWrongCrc_onceOnly() {
    add("first");
    fakes.faults().corruptChecksums("AccessSecretVersion", 1);

    long corrupted = client.accessSecretVersion(SECRET + "/versions/1").getPayload().getDataCrc32C();
    long clean = client.accessSecretVersion(SECRET + "/versions/1").getPayload().getDataCrc32C();

    assertThat(corrupted).isNotEqualTo(crc32c("first".getBytes(StandardCharsets.UTF_8)));
    assertThat(clean).isEqualTo(crc32c("first".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void injectedUnavailable_isRetriedByTheRealClient() {
    add("first");
    fakes.faults().failNext("AccessSecretVersion", Status.Code.UNAVAILABLE, 1);

    assertThat(access("1")).isEqualTo("first");
    assertThat(fakes.faults().calls("AccessSecretVersion")).isEqualTo(2);
  }

  @Test
  void directAdministration_matchesWhatTheClientSees() {
    String other = fakes.secretManager().createSecret(PROJECT + "/secrets/api-key");
    String v1 = fakes.secretManager().addVersion(other, "k1".getBytes(StandardCharsets.UTF_8));

    assertThat(v1).isEqualTo(other + "/versions/1");
    assertThat(client.accessSecretVersion(other + "/versions/latest").getPayload().getData().toStringUtf8()).isEqualTo("k1");
    client.disableSecretVersion(DisableSecretVersionRequest.newBuilder().setName(v1).build());
    assertThat(fakes.secretManager().versionState(v1)).isEqualTo(State.DISABLED);
  }
}
