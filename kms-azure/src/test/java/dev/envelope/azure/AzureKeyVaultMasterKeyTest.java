package dev.envelope.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.DataKey;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import dev.envelope.core.MasterKey;
import dev.envelope.core.MasterKeyResolver;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import dev.envelope.testkit.azure.AzureFaults;
import dev.envelope.testkit.azure.AzureKeyVaultFake;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** AzureKeyVaultMasterKey against the testkit fake, through the real Azure SDK. */
class AzureKeyVaultMasterKeyTest {
  private static final EncryptionContext CTX = EncryptionContext.of("tenant", "42");

  private static AzureKeyVaultFake fake;
  /** Shared by tests that neither rotate nor disable it: RSA key generation is slow. */
  private static String ordersVersion;
  private static AzureKeyVaultMasterKey orders;

  @BeforeAll
  static void start() {
    fake = AzureKeyVaultFake.start();
    String versioned = fake.createKey("orders");
    ordersVersion = versioned.substring(versioned.lastIndexOf('/') + 1);
    orders = FakeVault.key(fake, fake.keyId("orders")).build();
  }

  @AfterAll
  static void stop() {
    fake.close();
  }

  @BeforeEach
  void resetFaults() {
    fake.faults().reset();
  }

  private static String version(String versionedId) {
    return versionedId.substring(versionedId.lastIndexOf('/') + 1);
  }

  @Test
  void generateDataKey_thenUnwrap_roundTripsAndRecordsVersion() {
    try (DataKey dk = orders.generateDataKey(CTX)) {
      WrappedKey w = dk.wrapped();

      assertThat(w.provider()).isEqualTo("azure-kv");
      assertThat(w.keyId()).isEqualTo(fake.keyId("orders"));
      assertThat(w.version()).isEqualTo(ordersVersion);
      assertThat(w.ciphertext()).hasSize(256);
      try (SecretBytes back = orders.unwrap(w, CTX)) {
        assertThat(back).isEqualTo(dk.plaintext());
      }
    }
    assertThat(fake.faults().calls(AzureFaults.WRAP_KEY)).isEqualTo(1);
    assertThat(fake.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(1);
  }

  @Test
  void unwrap_otherContext_stillUnwraps_becauseKeyVaultWrapHasNoAad() {
    // Documented behaviour: the vault does not bind the context; the Envelope message does
    // (AzureEnvelopeTest shows a wrong context failing there).
    try (DataKey dk = orders.generateDataKey(CTX);
        SecretBytes back = orders.unwrap(dk.wrapped(), EncryptionContext.of("tenant", "other"))) {
      assertThat(back).isEqualTo(dk.plaintext());
    }
  }

  @Test
  void wrap_manyTimes_looksUpCurrentVersionOnce() {
    AzureKeyVaultMasterKey key = FakeVault.key(fake, fake.keyId("orders")).build();

    for (int i = 0; i < 3; i++) {
      key.generateDataKey(CTX).close();
    }

    assertThat(fake.faults().calls(AzureFaults.GET_KEY)).isEqualTo(1);
    assertThat(fake.faults().calls(AzureFaults.WRAP_KEY)).isEqualTo(3);
  }

  @Test
  void rotation_newVersionUsedAfterRefresh_oldWrappedKeysStillUnwrap() {
    String v1 = version(fake.createKey("rotating"));
    FakeVault.ManualTicker ticker = new FakeVault.ManualTicker();
    AzureKeyVaultMasterKey key = FakeVault.key(fake, fake.keyId("rotating"))
        .versionRefresh(Duration.ofMinutes(5)).ticker(ticker).build();
    DataKey before = key.generateDataKey(CTX);

    String v2 = version(fake.rotateKey("rotating"));
    DataKey stillOld = key.generateDataKey(CTX);
    ticker.advance(Duration.ofMinutes(5));
    DataKey after = key.generateDataKey(CTX);

    assertThat(before.wrapped().version()).isEqualTo(v1);
    assertThat(stillOld.wrapped().version()).isEqualTo(v1);
    assertThat(after.wrapped().version()).isEqualTo(v2).isNotEqualTo(v1);
    assertThat(after.wrapped().keyId()).isEqualTo(before.wrapped().keyId());
    AzureKeyVaultMasterKey fresh = FakeVault.key(fake, fake.keyId("rotating")).build();
    assertThat(fresh.unwrap(before.wrapped(), CTX)).isEqualTo(before.plaintext());
    assertThat(fresh.unwrap(after.wrapped(), CTX)).isEqualTo(after.plaintext());
  }

  @Test
  void pinnedVersion_wrapsUnderItEvenAfterRotation() {
    String v1Id = fake.createKey("pinned");
    fake.rotateKey("pinned");
    AzureKeyVaultMasterKey key = FakeVault.key(fake, v1Id).build();

    WrappedKey w = key.generateDataKey(CTX).wrapped();

    assertThat(key.pinnedVersion()).isEqualTo(version(v1Id));
    assertThat(w.version()).isEqualTo(version(v1Id));
    assertThat(w.keyId()).isEqualTo(fake.keyId("pinned"));
    assertThat(key.ref().keyId()).isEqualTo(fake.keyId("pinned"));
  }

  @Test
  void disabledVersion_unwrapAndWrapAreKeyUnavailable() {
    String v = version(fake.createKey("disabled"));
    AzureKeyVaultMasterKey key = FakeVault.key(fake, fake.keyId("disabled")).build();
    WrappedKey w = key.generateDataKey(CTX).wrapped();

    fake.setKeyEnabled("disabled", v, false);

    assertThatThrownBy(() -> key.unwrap(w, CTX)).isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("disabled");
    AzureKeyVaultMasterKey fresh = FakeVault.key(fake, fake.keyId("disabled")).build();
    fake.faults().reset();
    assertThatThrownBy(() -> fresh.generateDataKey(CTX)).isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("disabled");
    // Key Vault would still wrap under a disabled key; the lookup is what refuses.
    assertThat(fake.faults().calls(AzureFaults.WRAP_KEY)).isZero();

    fake.setKeyEnabled("disabled", v, true);
    assertThat(fresh.generateDataKey(CTX).wrapped().version()).isEqualTo(v);
    assertThat(key.unwrap(w, CTX).length()).isEqualTo(32);
  }

  @Test
  void disabledAfterLookup_noticedAtNextRefresh() {
    String v = version(fake.createKey("disabled-later"));
    FakeVault.ManualTicker ticker = new FakeVault.ManualTicker();
    AzureKeyVaultMasterKey key = FakeVault.key(fake, fake.keyId("disabled-later")).ticker(ticker)
        .versionRefresh(Duration.ofMinutes(1)).build();
    key.generateDataKey(CTX).close();

    fake.setKeyEnabled("disabled-later", v, false);
    ticker.advance(Duration.ofMinutes(1));

    assertThatThrownBy(() -> key.generateDataKey(CTX)).isInstanceOf(KeyUnavailableException.class);
  }

  @Test
  void throttled_retryAfterHonoured_thenSucceeds() {
    fake.faults().throttleNext(AzureFaults.UNWRAP_KEY, 1, Duration.ofSeconds(1));
    WrappedKey w = orders.generateDataKey(CTX).wrapped();

    long start = System.nanoTime();
    SecretBytes back = orders.unwrap(w, CTX);
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(back.length()).isEqualTo(32);
    assertThat(fake.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(2);
    // Backoff here is 5-50 ms: only the Retry-After explains a one-second wait.
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(950));
  }

  @Test
  void throttled_retryAfterBeyondDeadline_failsFastRetryable() {
    AzureKeyVaultMasterKey key = FakeVault.key(fake, fake.keyId("orders")).deadline(Duration.ofSeconds(3)).build();
    WrappedKey w = orders.generateDataKey(CTX).wrapped();
    fake.faults().throttleAlways(AzureFaults.UNWRAP_KEY, Duration.ofSeconds(60));

    long start = System.nanoTime();
    KmsException e = catchThrowableOfType(KmsException.class, () -> key.unwrap(w, CTX));

    assertThat(e.isRetryable()).isTrue();
    assertThat(e).hasMessageContaining("429");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(fake.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(1);
  }

  @Test
  void permanentServiceError_retriedThenRetryableKmsException() {
    WrappedKey w = orders.generateDataKey(CTX).wrapped();
    fake.faults().failAlways(AzureFaults.UNWRAP_KEY, 503, "ServiceUnavailable");

    KmsException e = catchThrowableOfType(KmsException.class, () -> orders.unwrap(w, CTX));

    assertThat(e.isRetryable()).isTrue();
    assertThat(e).hasMessageContaining("503");
    assertThat(fake.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(1 + FakeVault.MAX_RETRIES);
  }

  @Test
  void slowVault_deadlineEndsCall_retryableKmsException() {
    AzureKeyVaultMasterKey key = FakeVault.key(fake, fake.keyId("orders")).deadline(Duration.ofMillis(500)).build();
    WrappedKey w = orders.generateDataKey(CTX).wrapped();
    fake.faults().latency(AzureFaults.UNWRAP_KEY, Duration.ofSeconds(3));

    long start = System.nanoTime();
    KmsException e = catchThrowableOfType(KmsException.class, () -> key.unwrap(w, CTX));

    assertThat(e.isRetryable()).isTrue();
    assertThat(e).hasMessageContaining("deadline");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
  }

  @Test
  void tamperedCiphertext_isInvalidCiphertext() {
    WrappedKey w = orders.generateDataKey(CTX).wrapped();
    byte[] ct = w.ciphertext();
    ct[17] ^= 0x40;

    assertThatThrownBy(() -> orders.unwrap(new WrappedKey(w.provider(), w.keyId(), w.version(), ct), CTX))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThat(fake.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(1);
  }

  @Test
  void malformedWrappedKey_rejectedWithoutCallingVault() {
    WrappedKey w = orders.generateDataKey(CTX).wrapped();
    List<WrappedKey> bad = List.of(
        new WrappedKey(w.provider(), w.keyId(), w.version(), new byte[255]),
        new WrappedKey(w.provider(), w.keyId(), "", w.ciphertext()),
        new WrappedKey(w.provider(), w.keyId(), "../../secrets/db", w.ciphertext()),
        new WrappedKey(w.provider(), w.keyId(), w.version() + "?x=1", w.ciphertext()));

    for (WrappedKey b : bad) {
      assertThatThrownBy(() -> orders.unwrap(b, CTX)).isInstanceOf(InvalidCiphertextException.class);
    }
    assertThat(fake.faults().calls(AzureFaults.UNWRAP_KEY)).isZero();
  }

  @Test
  void unknownKeyOrVersion_isKeyUnavailable() {
    AzureKeyVaultMasterKey missing = FakeVault.key(fake, fake.keyId("no-such-key")).build();
    WrappedKey w = orders.generateDataKey(CTX).wrapped();
    WrappedKey otherVersion = new WrappedKey(w.provider(), w.keyId(), "0123456789abcdef0123456789abcdef",
        w.ciphertext());

    assertThatThrownBy(() -> missing.generateDataKey(CTX)).isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("not found");
    assertThatThrownBy(() -> orders.unwrap(otherVersion, CTX)).isInstanceOf(KeyUnavailableException.class);
  }

  @Test
  void rbacDenied_isAccessDenied() {
    WrappedKey w = orders.generateDataKey(CTX).wrapped();
    fake.faults().denyAccess(AzureFaults.UNWRAP_KEY);

    assertThatThrownBy(() -> orders.unwrap(w, CTX)).isInstanceOf(AccessDeniedException.class)
        .hasMessageContaining("ForbiddenByRbac");
    AzureKeyVaultMasterKey fresh = FakeVault.key(fake, fake.keyId("orders")).build();
    fake.faults().denyAccess(AzureFaults.GET_KEY);
    assertThatThrownBy(() -> fresh.generateDataKey(CTX)).isInstanceOf(AccessDeniedException.class);
  }

  @Test
  void untrustedCertificate_failsNonRetryable() {
    AzureKeyVaultMasterKey untrusting = AzureKeyVaultMasterKey.builder().keyId(fake.keyId("orders"))
        .deadline(Duration.ofSeconds(5)).build();

    KmsException e = catchThrowableOfType(KmsException.class, () -> untrusting.generateDataKey(CTX));

    assertThat(e.isRetryable()).isFalse();
    assertThat(e).hasMessageContaining("TLS");
    assertThat(fake.faults().calls(AzureFaults.ANY)).isZero();
  }

  @Test
  void octKey_cannotWrapWithRsaOaep_nonRetryable() {
    fake.createKey("symmetric", "oct-HSM", 256);
    AzureKeyVaultMasterKey key = FakeVault.key(fake, fake.keyId("symmetric")).build();

    KmsException e = catchThrowableOfType(KmsException.class, () -> key.generateDataKey(CTX));

    assertThat(e.isRetryable()).isFalse();
    assertThat(e).hasMessageContaining("RSA");
  }

  @Test
  void endpointOverride_productionKeyIdServedByFake_recordsProductionId() {
    AzureKeyVaultMasterKey key = FakeVault.key(fake, "https://my-vault.vault.azure.net/keys/orders")
        .endpoint(fake.vaultUrl()).build();

    DataKey dk = key.generateDataKey(CTX);

    assertThat(dk.wrapped().keyId()).isEqualTo("https://my-vault.vault.azure.net/keys/orders");
    assertThat(dk.wrapped().version()).isEqualTo(ordersVersion);
    assertThat(key.unwrap(dk.wrapped(), CTX)).isEqualTo(dk.plaintext());
  }

  @Test
  void endpointOverride_challengeResourceStillVerifiedForNonLoopbackVault() {
    // The fake's challenge names vault.azure.net; a vault elsewhere must not accept it.
    AzureKeyVaultMasterKey key = FakeVault.key(fake, "https://keys.example.com/keys/orders")
        .endpoint(fake.vaultUrl()).build();

    KmsException e = catchThrowableOfType(KmsException.class, () -> key.generateDataKey(CTX));

    assertThat(e.isRetryable()).isFalse();
    assertThat(e.getCause()).hasMessageContaining("challenge resource");
  }

  @Test
  void canUnwrap_onlyOwnKeyId() {
    WrappedKey own = new WrappedKey("azure-kv", fake.keyId("orders"), ordersVersion, new byte[256]);
    WrappedKey otherKey = new WrappedKey("azure-kv", fake.keyId("invoices"), ordersVersion, new byte[256]);
    WrappedKey otherProvider = new WrappedKey("aws-kms", fake.keyId("orders"), ordersVersion, new byte[256]);

    assertThat(orders.canUnwrap(own)).isTrue();
    assertThat(orders.canUnwrap(otherKey)).isFalse();
    assertThat(orders.canUnwrap(otherProvider)).isFalse();
    assertThatThrownBy(() -> orders.unwrap(otherKey, CTX)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void wrap_wrongDataKeyLength_rejected() {
    assertThatThrownBy(() -> orders.wrap(SecretBytes.copyOf(new byte[16]), CTX))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void resolver_keySpecWithTrustFile_roundTrips(@TempDir Path dir) {
    Path pem = fake.writeCertificatePem(dir.resolve("vault.pem"));

    MasterKey key = MasterKeyResolver.resolveSpec("azure-kv:" + fake.keyId("orders"),
        Map.of("trust", pem.toString()));

    assertThat(key).isInstanceOf(AzureKeyVaultMasterKey.class);
    try (DataKey dk = key.generateDataKey(CTX)) {
      assertThat(orders.unwrap(dk.wrapped(), CTX)).isEqualTo(dk.plaintext());
    }
  }

  @Test
  void resolver_endpointOption_andUnknownOptionRejected(@TempDir Path dir) {
    Path pem = fake.writeCertificatePem(dir.resolve("vault.pem"));

    MasterKey key = MasterKeyResolver.resolveSpec("azure-kv:https://prod.vault.azure.net/keys/orders",
        Map.of("trust", pem.toString(), "endpoint", fake.vaultUrl()));

    assertThat(key.ref().keyId()).isEqualTo("https://prod.vault.azure.net/keys/orders");
    assertThat(key.generateDataKey(CTX).wrapped().version()).isEqualTo(ordersVersion);
    assertThatThrownBy(() -> MasterKeyResolver.resolveSpec("azure-kv:" + fake.keyId("orders"),
        Map.of("region", "x"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("region");
  }

  @Test
  void resolver_deadlineOption_endsSlowCallAtIt(@TempDir Path dir) {
    Path pem = fake.writeCertificatePem(dir.resolve("vault.pem"));
    MasterKey key = MasterKeyResolver.resolveSpec("azure-kv:" + fake.keyId("orders"),
        Map.of("trust", pem.toString(), "deadline", "PT0.5S"));
    WrappedKey w = orders.generateDataKey(CTX).wrapped();
    fake.faults().latency(AzureFaults.UNWRAP_KEY, Duration.ofSeconds(3));

    long start = System.nanoTime();
    KmsException e = catchThrowableOfType(KmsException.class, () -> key.unwrap(w, CTX));

    assertThat(e.isRetryable()).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
    assertThatThrownBy(() -> MasterKeyResolver.resolveSpec("azure-kv:" + fake.keyId("orders"),
        Map.of("trust", pem.toString(), "deadline", "-1s")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("azure-kv.deadline");
  }

  @Test
  void toString_namesKeyOnly() {
    assertThat(orders.toString()).isEqualTo("AzureKeyVaultMasterKey[azure-kv:" + fake.keyId("orders") + "]");
  }
}
