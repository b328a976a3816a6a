package dev.envelope.testkit.gcp;

import static dev.envelope.testkit.gcp.Clients.crc32c;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.grpc.GrpcCallContext;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.AlreadyExistsException;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.FailedPreconditionException;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.api.gax.rpc.NotFoundException;
import com.google.api.gax.rpc.PermissionDeniedException;
import com.google.api.gax.rpc.ResourceExhaustedException;
import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.DecryptResponse;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.KeyRing;
import com.google.cloud.kms.v1.ListCryptoKeyVersionsRequest;
import com.google.cloud.kms.v1.ListCryptoKeyVersionsResponse;
import com.google.cloud.kms.v1.ProtectionLevel;
import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import com.google.protobuf.Int64Value;
import dev.envelope.testkit.MutableClock;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FakeKmsTest {
  private static final String LOCATION = "projects/test-project/locations/us-east1";
  private static final String RING = LOCATION + "/keyRings/ring";
  private static final String KEY = RING + "/cryptoKeys/key";
  private static final byte[] PLAINTEXT = "thirty-two bytes of data key....".getBytes(StandardCharsets.UTF_8);
  private static final byte[] AAD = "tenant=42".getBytes(StandardCharsets.UTF_8);

  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private GcpFakes fakes;
  private KeyManagementServiceClient client;

  @BeforeEach
  void start() {
    fakes = GcpFakes.builder().clock(clock).start();
    client = Clients.kms(fakes);
    client.createKeyRing(LOCATION, "ring", KeyRing.getDefaultInstance());
    client.createCryptoKey(RING, "key", CryptoKey.newBuilder().setPurpose(CryptoKeyPurpose.ENCRYPT_DECRYPT).build());
  }

  @AfterEach
  void stop() {
    client.close();
    fakes.close();
  }

  private static EncryptRequest encryptRequest(String name, byte[] plaintext, byte[] aad) {
    return EncryptRequest.newBuilder()
        .setName(name)
        .setPlaintext(ByteString.copyFrom(plaintext))
        .setPlaintextCrc32C(Int64Value.of(crc32c(plaintext)))
        .setAdditionalAuthenticatedData(ByteString.copyFrom(aad))
        .setAdditionalAuthenticatedDataCrc32C(Int64Value.of(crc32c(aad)))
        .build();
  }

  private static DecryptRequest decryptRequest(String name, ByteString ciphertext, byte[] aad) {
    return DecryptRequest.newBuilder()
        .setName(name)
        .setCiphertext(ciphertext)
        .setCiphertextCrc32C(Int64Value.of(crc32c(ciphertext.toByteArray())))
        .setAdditionalAuthenticatedData(ByteString.copyFrom(aad))
        .setAdditionalAuthenticatedDataCrc32C(Int64Value.of(crc32c(aad)))
        .build();
  }

  private static StatusCode.Code code(Throwable t) {
    return ((ApiException) t).getStatusCode().getCode();
  }

  @Test
  void createCryptoKey_encryptDecrypt_hasEnabledPrimaryVersionOne() {
    CryptoKey key = client.getCryptoKey(KEY);

    assertThat(key.getPurpose()).isEqualTo(CryptoKeyPurpose.ENCRYPT_DECRYPT);
    assertThat(key.getPrimary().getName()).isEqualTo(KEY + "/cryptoKeyVersions/1");
    assertThat(key.getPrimary().getState()).isEqualTo(CryptoKeyVersionState.ENABLED);
    assertThat(key.getCreateTime().getSeconds()).isEqualTo(clock.instant().getEpochSecond());
  }

  @Test
  void encrypt_withChecksums_verifiesThemAndNamesTheVersion() {
    EncryptResponse r = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD));

    assertThat(r.getName()).isEqualTo(KEY + "/cryptoKeyVersions/1");
    assertThat(r.getVerifiedPlaintextCrc32C()).isTrue();
    assertThat(r.getVerifiedAdditionalAuthenticatedDataCrc32C()).isTrue();
    assertThat(r.getCiphertextCrc32C().getValue()).isEqualTo(crc32c(r.getCiphertext().toByteArray()));
    assertThat(r.getCiphertext().size()).isEqualTo(PLAINTEXT.length + FakeKms.CIPHERTEXT_OVERHEAD);
    assertThat(r.getProtectionLevel()).isEqualTo(ProtectionLevel.SOFTWARE);
  }

  @Test
  void encrypt_withoutChecksums_reportsNothingVerified() {
    EncryptResponse r = client.encrypt(EncryptRequest.newBuilder().setName(KEY)
        .setPlaintext(ByteString.copyFrom(PLAINTEXT)).build());

    assertThat(r.getVerifiedPlaintextCrc32C()).isFalse();
    assertThat(r.getVerifiedAdditionalAuthenticatedDataCrc32C()).isFalse();
  }

  @Test
  void decrypt_sameAad_returnsPlaintextWithChecksum() {
    EncryptResponse e = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD));

    DecryptResponse d = client.decrypt(decryptRequest(KEY, e.getCiphertext(), AAD));

    assertThat(d.getPlaintext().toByteArray()).isEqualTo(PLAINTEXT);
    assertThat(d.getPlaintextCrc32C().getValue()).isEqualTo(crc32c(PLAINTEXT));
    assertThat(d.getUsedPrimary()).isTrue();
  }

  @Test
  void decrypt_otherAad_isInvalidArgument() {
    EncryptResponse e = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD));

    assertThatThrownBy(() -> client.decrypt(decryptRequest(KEY, e.getCiphertext(), "tenant=43".getBytes(StandardCharsets.UTF_8))))
        .isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> client.decrypt(decryptRequest(KEY, e.getCiphertext(), new byte[0])))
        .isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void decrypt_anyBitFlipped_isInvalidArgument() {
    byte[] ct = client.encrypt(encryptRequest(KEY, new byte[] {1, 2, 3}, AAD)).getCiphertext().toByteArray();
    for (int i = 0; i < ct.length * 8; i++) {
      byte[] bad = ct.clone();
      bad[i / 8] ^= (byte) (1 << (i % 8));
      assertThatThrownBy(() -> client.decrypt(decryptRequest(KEY, ByteString.copyFrom(bad), AAD)))
          .as("bit %d", i)
          .isInstanceOf(InvalidArgumentException.class);
    }
  }

  @Test
  void decrypt_truncatedOrEmpty_isInvalidArgument() {
    byte[] ct = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD)).getCiphertext().toByteArray();
    for (int len : new int[] {0, 1, 5, 17, ct.length - 1}) {
      ByteString cut = ByteString.copyFrom(ct, 0, len);
      assertThatThrownBy(() -> client.decrypt(decryptRequest(KEY, cut, AAD)))
          .as("length %d", len).isInstanceOf(InvalidArgumentException.class);
    }
  }

  @Test
  void decrypt_ciphertextOfAnotherKey_isInvalidArgument() {
    String other = fakes.kms().createKey(RING + "/cryptoKeys/other");
    EncryptResponse e = client.encrypt(encryptRequest(other, PLAINTEXT, AAD));

    assertThatThrownBy(() -> client.decrypt(decryptRequest(KEY, e.getCiphertext(), AAD)))
        .isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void encrypt_plaintextChecksumMismatch_isInvalidArgument() {
    EncryptRequest bad = encryptRequest(KEY, PLAINTEXT, AAD).toBuilder()
        .setPlaintextCrc32C(Int64Value.of(crc32c(PLAINTEXT) ^ 1)).build();

    assertThatThrownBy(() -> client.encrypt(bad))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("plaintext_crc32c");
  }

  @Test
  void encrypt_aadChecksumMismatch_isInvalidArgument() {
    EncryptRequest bad = encryptRequest(KEY, PLAINTEXT, AAD).toBuilder()
        .setAdditionalAuthenticatedDataCrc32C(Int64Value.of(0)).build();

    assertThatThrownBy(() -> client.encrypt(bad))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("additional_authenticated_data_crc32c");
  }

  @Test
  void decrypt_ciphertextChecksumMismatch_isInvalidArgument() {
    EncryptResponse e = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD));
    DecryptRequest bad = decryptRequest(KEY, e.getCiphertext(), AAD).toBuilder()
        .setCiphertextCrc32C(Int64Value.of(e.getCiphertextCrc32C().getValue() ^ 1)).build();

    assertThatThrownBy(() -> client.decrypt(bad))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("ciphertext_crc32c");
  }

  @Test
  void encrypt_tooLargePlaintext_isInvalidArgument() {
    assertThatThrownBy(() -> client.encrypt(encryptRequest(KEY, new byte[64 * 1024 + 1], AAD)))
        .isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void rotation_newPrimaryEncrypts_oldCiphertextStillDecrypts() {
    ByteString old = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD)).getCiphertext();

    CryptoKeyVersion v2 = client.createCryptoKeyVersion(KEY, CryptoKeyVersion.getDefaultInstance());
    assertThat(client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD)).getName()).endsWith("/cryptoKeyVersions/1");
    CryptoKey updated = client.updateCryptoKeyPrimaryVersion(KEY, "2");

    assertThat(v2.getName()).isEqualTo(KEY + "/cryptoKeyVersions/2");
    assertThat(updated.getPrimary().getName()).isEqualTo(v2.getName());
    assertThat(client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD)).getName()).isEqualTo(v2.getName());
    DecryptResponse d = client.decrypt(decryptRequest(KEY, old, AAD));
    assertThat(d.getPlaintext().toByteArray()).isEqualTo(PLAINTEXT);
    assertThat(d.getUsedPrimary()).isFalse();
  }

  @Test
  void encrypt_namingAVersion_usesThatVersion() {
    fakes.kms().rotate(KEY);

    EncryptResponse r = client.encrypt(encryptRequest(KEY + "/cryptoKeyVersions/1", PLAINTEXT, AAD));

    assertThat(r.getName()).isEqualTo(KEY + "/cryptoKeyVersions/1");
  }

  @Test
  void disabledVersion_decryptAndEncryptFailWithFailedPrecondition_untilReEnabled() {
    ByteString ct = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD)).getCiphertext();
    String v1 = KEY + "/cryptoKeyVersions/1";

    CryptoKeyVersion disabled = client.updateCryptoKeyVersion(
        CryptoKeyVersion.newBuilder().setName(v1).setState(CryptoKeyVersionState.DISABLED).build(),
        FieldMask.newBuilder().addPaths("state").build());

    assertThat(disabled.getState()).isEqualTo(CryptoKeyVersionState.DISABLED);
    assertThatThrownBy(() -> client.decrypt(decryptRequest(KEY, ct, AAD)))
        .isInstanceOf(FailedPreconditionException.class).hasMessageContaining("DISABLED");
    assertThatThrownBy(() -> client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD)))
        .isInstanceOf(FailedPreconditionException.class);
    assertThatThrownBy(() -> client.updateCryptoKeyPrimaryVersion(KEY, "1"))
        .isInstanceOf(FailedPreconditionException.class);

    fakes.kms().setVersionEnabled(v1, true);
    assertThat(client.decrypt(decryptRequest(KEY, ct, AAD)).getPlaintext().toByteArray()).isEqualTo(PLAINTEXT);
  }

  @Test
  void updateCryptoKeyVersion_withoutStateMask_isInvalidArgument() {
    assertThatThrownBy(() -> client.updateCryptoKeyVersion(
        CryptoKeyVersion.newBuilder().setName(KEY + "/cryptoKeyVersions/1").setState(CryptoKeyVersionState.DISABLED).build(),
        FieldMask.getDefaultInstance()))
        .isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void destroyedVersion_afterScheduledDelay_isDestroyedAndCannotBeRestored() {
    ByteString ct = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD)).getCiphertext();
    String v1 = KEY + "/cryptoKeyVersions/1";

    CryptoKeyVersion scheduled = client.destroyCryptoKeyVersion(v1);
    assertThat(scheduled.getState()).isEqualTo(CryptoKeyVersionState.DESTROY_SCHEDULED);
    assertThat(scheduled.getDestroyTime().getSeconds()).isEqualTo(clock.instant().plus(Duration.ofDays(30)).getEpochSecond());
    assertThatThrownBy(() -> client.decrypt(decryptRequest(KEY, ct, AAD))).isInstanceOf(FailedPreconditionException.class);

    clock.advance(Duration.ofDays(30));

    assertThat(client.getCryptoKeyVersion(v1).getState()).isEqualTo(CryptoKeyVersionState.DESTROYED);
    assertThatThrownBy(() -> client.restoreCryptoKeyVersion(v1)).isInstanceOf(FailedPreconditionException.class);
  }

  @Test
  void restoreCryptoKeyVersion_beforeDelay_leavesItDisabled() {
    String v1 = KEY + "/cryptoKeyVersions/1";
    client.destroyCryptoKeyVersion(v1);

    CryptoKeyVersion restored = client.restoreCryptoKeyVersion(v1);

    assertThat(restored.getState()).isEqualTo(CryptoKeyVersionState.DISABLED);
    assertThat(restored.hasDestroyTime()).isFalse();
  }

  @Test
  void listCryptoKeyVersions_filtersByStateAndPages() {
    fakes.kms().rotate(KEY);
    fakes.kms().rotate(KEY);
    fakes.kms().setVersionEnabled(KEY + "/cryptoKeyVersions/2", false);

    ListCryptoKeyVersionsResponse enabled = client.listCryptoKeyVersionsCallable().call(
        ListCryptoKeyVersionsRequest.newBuilder().setParent(KEY).setFilter("state=ENABLED").build());
    ListCryptoKeyVersionsResponse page1 = client.listCryptoKeyVersionsCallable().call(
        ListCryptoKeyVersionsRequest.newBuilder().setParent(KEY).setPageSize(2).build());
    ListCryptoKeyVersionsResponse page2 = client.listCryptoKeyVersionsCallable().call(
        ListCryptoKeyVersionsRequest.newBuilder().setParent(KEY).setPageSize(2).setPageToken(page1.getNextPageToken()).build());

    assertThat(enabled.getCryptoKeyVersionsList()).extracting(CryptoKeyVersion::getName)
        .containsExactly(KEY + "/cryptoKeyVersions/1", KEY + "/cryptoKeyVersions/3");
    assertThat(page1.getCryptoKeyVersionsCount()).isEqualTo(2);
    assertThat(page2.getCryptoKeyVersionsList()).extracting(CryptoKeyVersion::getName)
        .containsExactly(KEY + "/cryptoKeyVersions/3");
    assertThat(page2.getNextPageToken()).isEmpty();
    assertThat(client.listCryptoKeyVersions(KEY).iterateAll()).hasSize(3);
  }

  @Test
  void missingResources_areNotFound_duplicatesAlreadyExist_badNamesInvalid() {
    assertThatThrownBy(() -> client.getCryptoKey(RING + "/cryptoKeys/nope")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> client.encrypt(encryptRequest(RING + "/cryptoKeys/nope", PLAINTEXT, AAD)))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> client.getCryptoKeyVersion(KEY + "/cryptoKeyVersions/9")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> client.createCryptoKey(LOCATION + "/keyRings/nope", "k",
        CryptoKey.newBuilder().setPurpose(CryptoKeyPurpose.ENCRYPT_DECRYPT).build())).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> client.createCryptoKey(RING, "key",
        CryptoKey.newBuilder().setPurpose(CryptoKeyPurpose.ENCRYPT_DECRYPT).build())).isInstanceOf(AlreadyExistsException.class);
    assertThatThrownBy(() -> client.createKeyRing(LOCATION, "ring", KeyRing.getDefaultInstance()))
        .isInstanceOf(AlreadyExistsException.class);
    assertThatThrownBy(() -> client.createCryptoKey(RING, "bad id!",
        CryptoKey.newBuilder().setPurpose(CryptoKeyPurpose.ENCRYPT_DECRYPT).build())).isInstanceOf(InvalidArgumentException.class);
    assertThatThrownBy(() -> client.decrypt(decryptRequest(KEY + "/cryptoKeyVersions/1", ByteString.copyFromUtf8("x"), AAD)))
        .isInstanceOf(InvalidArgumentException.class);
  }

  @Test
  void deniedPermission_isPermissionDenied_onlyForThatPermission() {
    ByteString ct = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD)).getCiphertext();
    fakes.kms().deny(RING, FakeKms.DECRYPT_PERMISSION);

    assertThatThrownBy(() -> client.decrypt(decryptRequest(KEY, ct, AAD)))
        .isInstanceOf(PermissionDeniedException.class).hasMessageContaining(FakeKms.DECRYPT_PERMISSION);
    assertThat(client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD)).getName()).endsWith("/1");

    fakes.kms().allowAll();
    assertThat(client.decrypt(decryptRequest(KEY, ct, AAD)).getPlaintext().toByteArray()).isEqualTo(PLAINTEXT);
  }

  @Test
  void injectedUnavailable_isRetriedByTheRealClient_andCounted() {
    fakes.faults().failNext("Encrypt", Status.Code.UNAVAILABLE, 2);

    EncryptResponse r = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD));

    assertThat(r.getName()).endsWith("/cryptoKeyVersions/1");
    assertThat(fakes.faults().calls("Encrypt")).isEqualTo(3);
  }

  @Test
  void injectedResourceExhausted_reachesTheClient() {
    fakes.faults().failNext("Decrypt", Status.Code.RESOURCE_EXHAUSTED, 1);

    assertThatThrownBy(() -> client.decrypt(decryptRequest(KEY, ByteString.copyFromUtf8("x"), AAD)))
        .isInstanceOf(ResourceExhaustedException.class);
    assertThat(fakes.faults().calls("Decrypt")).isEqualTo(1);
  }

  @Test
  void corruptChecksums_encryptAndDecryptResponsesCarryWrongCrc() {
    fakes.faults().corruptChecksums("Encrypt", 1);
    fakes.faults().corruptChecksums("Decrypt", 1);

    EncryptResponse e = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD));
    DecryptResponse d = client.decrypt(decryptRequest(KEY, e.getCiphertext(), AAD));
    EncryptResponse clean = client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD));

    assertThat(e.getCiphertextCrc32C().getValue()).isNotEqualTo(crc32c(e.getCiphertext().toByteArray()));
    assertThat(d.getPlaintext().toByteArray()).isEqualTo(PLAINTEXT);
    assertThat(d.getPlaintextCrc32C().getValue()).isNotEqualTo(crc32c(PLAINTEXT));
    assertThat(clean.getCiphertextCrc32C().getValue()).isEqualTo(crc32c(clean.getCiphertext().toByteArray()));
  }

  @Test
  void dropRequestChecksums_reportsUnverified_andSkipsTheCheck() {
    fakes.faults().dropRequestChecksums("Encrypt", 1);
    EncryptRequest wrongCrc = encryptRequest(KEY, PLAINTEXT, AAD).toBuilder()
        .setPlaintextCrc32C(Int64Value.of(1)).build();

    EncryptResponse r = client.encrypt(wrongCrc);

    assertThat(r.getVerifiedPlaintextCrc32C()).isFalse();
    assertThat(r.getVerifiedAdditionalAuthenticatedDataCrc32C()).isFalse();
  }

  @Test
  void latency_delaysCalls_andTripsShortDeadlines() {
    fakes.faults().latency("GetCryptoKey", Duration.ofMillis(300));
    RetrySettings once = RetrySettings.newBuilder().setMaxAttempts(1)
        .setTotalTimeoutDuration(Duration.ofMillis(100)).setInitialRpcTimeoutDuration(Duration.ofMillis(100))
        .setMaxRpcTimeoutDuration(Duration.ofMillis(100)).setRpcTimeoutMultiplier(1).build();

    long start = System.nanoTime();
    client.getCryptoKey(KEY);
    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try {
      client.getCryptoKeyCallable().call(
          com.google.cloud.kms.v1.GetCryptoKeyRequest.newBuilder().setName(KEY).build(),
          GrpcCallContext.createDefault().withRetrySettings(once).withRetryableCodes(Set.of()));
    } catch (ApiException e) {
      failure.set(e);
    }

    assertThat(elapsedMs).isGreaterThanOrEqualTo(300);
    assertThat(failure.get()).isNotNull();
    assertThat(code(failure.get())).isEqualTo(StatusCode.Code.DEADLINE_EXCEEDED);
  }

  @Test
  void calls_countsEveryMethod_andResetClears() {
    client.encrypt(encryptRequest(KEY, PLAINTEXT, AAD));
    client.getCryptoKey(KEY);

    assertThat(fakes.faults().calls()).containsEntry("Encrypt", 1L).containsEntry("GetCryptoKey", 1L)
        .containsEntry("CreateCryptoKey", 1L).containsEntry("CreateKeyRing", 1L);
    assertThat(fakes.faults().calls(GcpFaults.ANY)).isEqualTo(4);

    fakes.faults().reset();
    assertThat(fakes.faults().calls("Encrypt")).isZero();
  }

  @Test
  void unimplementedMethod_isUnimplemented() {
    assertThatThrownBy(() -> client.getPublicKey(KEY + "/cryptoKeyVersions/1"))
        .satisfies(t -> assertThat(code(t)).isEqualTo(StatusCode.Code.UNIMPLEMENTED));
  }
}
