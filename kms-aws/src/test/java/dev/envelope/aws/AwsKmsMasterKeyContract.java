package dev.envelope.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.DataKey;
import dev.envelope.core.DataKeyCache;
import dev.envelope.core.DataKeyStore;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.FieldEncryptor;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.LocalMasterKey;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.KeyMetadata;

/**
 * {@link AwsKmsMasterKey} against something that speaks AWS KMS through the real
 * {@link KmsClient}: the testkit fake ({@link AwsKmsMasterKeyFakeTest}) and LocalStack
 * ({@link AwsKmsMasterKeyLocalStackIT}, where Docker exists).
 */
abstract class AwsKmsMasterKeyContract {
  static final String REGION = "us-east-1";
  static final String OTHER_REGION = "us-west-2";
  static final EncryptionContext CONTEXT = EncryptionContext.of("tenant", "42", "purpose", "invoice");

  /** A client for {@code region}, owned by the test class. */
  abstract KmsClient client(String region);

  /** How many calls of {@code operation} the service received, where it can tell. */
  abstract OptionalLong calls(String operation);

  /** Forgets call counts, where the service keeps them. */
  abstract void resetCalls();

  String createKey(String region) {
    return client(region).createKey(b -> b.description("kms-aws test")).keyMetadata().arn();
  }

  AwsKmsMasterKey key(String keyId, String region) {
    return AwsKmsMasterKey.builder().keyId(keyId).client(client(region)).build();
  }

  AwsKmsMasterKey key(String arn) {
    return key(arn, REGION);
  }

  @Test
  void generateDataKey_thenUnwrapWithSameContext_returnsSameDataKey() {
    String arn = createKey(REGION);
    AwsKmsMasterKey key = key(arn);

    try (DataKey dk = key.generateDataKey(CONTEXT)) {
      WrappedKey w = dk.wrapped();
      assertThat(w.provider()).isEqualTo("aws-kms");
      assertThat(w.keyId()).isEqualTo(arn);
      assertThat(dk.plaintext().length()).isEqualTo(32);
      assertThat(key.canUnwrap(w)).isTrue();
      try (SecretBytes back = key.unwrap(w, EncryptionContext.of("purpose", "invoice", "tenant", "42"))) {
        assertThat(back).isEqualTo(dk.plaintext());
      }
    }
  }

  @Test
  void unwrap_otherContext_invalidCiphertextWithoutContextValues() {
    AwsKmsMasterKey key = key(createKey(REGION));
    WrappedKey w = key.generateDataKey(CONTEXT).wrapped();

    for (EncryptionContext wrong : List.of(EncryptionContext.of("tenant", "43", "purpose", "invoice"),
        EncryptionContext.of("tenant", "42"), EncryptionContext.empty())) {
      assertThatThrownBy(() -> key.unwrap(w, wrong)).isInstanceOf(InvalidCiphertextException.class)
          .hasMessage(new InvalidCiphertextException().getMessage());
    }
  }

  @Test
  void unwrap_alteredCiphertext_invalidCiphertext() {
    String arn = createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    WrappedKey w = key.generateDataKey(CONTEXT).wrapped();
    byte[] altered = w.ciphertext();
    altered[altered.length - 3] ^= 0x40;

    assertThatThrownBy(() -> key.unwrap(new WrappedKey(w.provider(), w.keyId(), w.version(), altered), CONTEXT))
        .isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void wrap_thenUnwrap_roundTripsThroughEncrypt() {
    String arn = createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    SecretBytes dataKey = SecretBytes.wrap(UUID.randomUUID().toString().substring(0, 32).getBytes(StandardCharsets.US_ASCII));

    WrappedKey w = key.wrap(dataKey, CONTEXT);

    assertThat(w.keyId()).isEqualTo(arn);
    assertThat(key.unwrap(w, CONTEXT)).isEqualTo(dataKey);
  }

  @Test
  void rotation_wrappedKeyFromBeforeStillUnwraps() {
    String arn = createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    DataKey before = key.generateDataKey(CONTEXT);

    client(REGION).rotateKeyOnDemand(b -> b.keyId(arn));
    DataKey after = key.generateDataKey(CONTEXT);

    assertThat(key.unwrap(before.wrapped(), CONTEXT)).isEqualTo(before.plaintext());
    assertThat(key.unwrap(after.wrapped(), CONTEXT)).isEqualTo(after.plaintext());
    if (!before.wrapped().version().isEmpty()) {
      assertThat(after.wrapped().version()).isNotEqualTo(before.wrapped().version());
    }
  }

  @Test
  void rewrap_toOtherAwsKey_usesReEncryptAndNeverDecrypt() {
    AwsKmsMasterKey source = key(createKey(REGION));
    String destinationArn = createKey(REGION);
    AwsKmsMasterKey destination = key(destinationArn);
    DataKey dk = source.generateDataKey(CONTEXT);
    resetCalls();

    WrappedKey rewrapped = source.rewrap(dk.wrapped(), destination, CONTEXT);

    calls("ReEncrypt").ifPresent(n -> assertThat(n).isEqualTo(1));
    calls("Decrypt").ifPresent(n -> assertThat(n).isZero());
    calls("Encrypt").ifPresent(n -> assertThat(n).isZero());
    assertThat(rewrapped.keyId()).isEqualTo(destinationArn);
    assertThat(source.canUnwrap(rewrapped)).isFalse();
    assertThat(destination.canUnwrap(rewrapped)).isTrue();
    assertThat(destination.unwrap(rewrapped, CONTEXT)).isEqualTo(dk.plaintext());
  }

  @Test
  void disabledKey_generateAndUnwrap_keyUnavailable() {
    String arn = createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    WrappedKey w = key.generateDataKey(CONTEXT).wrapped();

    client(REGION).disableKey(b -> b.keyId(arn));

    assertThatThrownBy(() -> key.generateDataKey(CONTEXT)).isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining(arn).hasMessageContaining("DisabledException");
    assertThatThrownBy(() -> key.unwrap(w, CONTEXT)).isInstanceOf(KeyUnavailableException.class);
    client(REGION).enableKey(b -> b.keyId(arn));
    assertThat(key.unwrap(w, CONTEXT).length()).isEqualTo(32);
  }

  @Test
  void keyPendingDeletion_keyUnavailable() {
    String arn = createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    client(REGION).scheduleKeyDeletion(b -> b.keyId(arn).pendingWindowInDays(7));

    assertThatThrownBy(() -> key.generateDataKey(CONTEXT)).isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("KMSInvalidStateException");
  }

  @Test
  void unknownKeyOrAlias_keyUnavailable() {
    String arn = createKey(REGION);
    String unknown = arn.substring(0, arn.indexOf(":key/") + 5) + UUID.randomUUID();

    assertThatThrownBy(() -> key(unknown).generateDataKey(CONTEXT)).isInstanceOf(KeyUnavailableException.class);
    assertThatThrownBy(() -> key("alias/none-" + UUID.randomUUID()).generateDataKey(CONTEXT))
        .isInstanceOf(KeyUnavailableException.class);
  }

  @Test
  void alias_resolvedToKeyArn_wrappedKeysNameTheArn() {
    KeyMetadata meta = client(REGION).createKey(b -> b.description("aliased")).keyMetadata();
    String alias = "alias/kms-aws-" + UUID.randomUUID();
    client(REGION).createAlias(b -> b.aliasName(alias).targetKeyId(meta.keyId()));
    String aliasArn = meta.arn().substring(0, meta.arn().indexOf(":key/")) + ":" + alias;

    for (String id : List.of(alias, aliasArn, meta.keyId())) {
      AwsKmsMasterKey key = key(id);
      DataKey dk = key.generateDataKey(CONTEXT);
      assertThat(dk.wrapped().keyId()).isEqualTo(meta.arn());
      assertThat(key.canUnwrap(dk.wrapped())).isTrue();
      assertThat(key.unwrap(dk.wrapped(), CONTEXT)).isEqualTo(dk.plaintext());
    }
  }

  @Test
  void canUnwrap_otherProviderKeyOrMalformedId_false() {
    String arn = createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    WrappedKey w = key.generateDataKey(CONTEXT).wrapped();
    byte[] ct = w.ciphertext();

    assertThat(key.canUnwrap(new WrappedKey("local", arn, "", ct))).isFalse();
    assertThat(key.canUnwrap(new WrappedKey("aws-kms", createKey(REGION), "", ct))).isFalse();
    assertThat(key.canUnwrap(new WrappedKey("aws-kms", "alias/x", "", ct))).isFalse();
    assertThat(key.canUnwrap(new WrappedKey("aws-kms", arn.replace(REGION, OTHER_REGION), "", ct))).isFalse();
    assertThatThrownBy(() -> key.unwrap(new WrappedKey("aws-kms", createKey(REGION), "", ct), CONTEXT))
        .isInstanceOf(KeyUnavailableException.class);
  }

  @Test
  void multiRegionKey_replicaInOtherRegionUnwrapsPrimaryWrappedKey() {
    KeyMetadata primary = client(REGION).createKey(b -> b.multiRegion(true)).keyMetadata();
    String replicaArn = client(REGION).replicateKey(b -> b.keyId(primary.arn()).replicaRegion(OTHER_REGION))
        .replicaKeyMetadata().arn();
    DataKey dk = key(primary.arn()).generateDataKey(CONTEXT);
    AwsKmsMasterKey replica = key(replicaArn, OTHER_REGION);

    assertThat(replica.canUnwrap(dk.wrapped())).isTrue();
    assertThat(replica.unwrap(dk.wrapped(), CONTEXT)).isEqualTo(dk.plaintext());
    DataKey back = replica.generateDataKey(CONTEXT);
    assertThat(back.wrapped().keyId()).isEqualTo(replicaArn);
    assertThat(key(primary.arn()).unwrap(back.wrapped(), CONTEXT)).isEqualTo(back.plaintext());
  }

  @Test
  void discovery_unwrapsAnyKeyOfTheAccount_onlyThose() {
    String arn = createKey(REGION);
    String account = arn.split(":")[4];
    String otherAccount = account.equals("999999999999") ? "888888888888" : "999999999999";
    WrappedKey w = key(arn).generateDataKey(CONTEXT).wrapped();
    try (AwsKmsMasterKey discovery = AwsKmsMasterKey.discovery("aws", account).client(client(REGION)).build();
        AwsKmsMasterKey elsewhere = AwsKmsMasterKey.discovery("aws", otherAccount).client(client(REGION)).build()) {

      assertThat(discovery.isDiscovery()).isTrue();
      assertThat(discovery.canUnwrap(w)).isTrue();
      assertThat(discovery.unwrap(w, CONTEXT).length()).isEqualTo(32);
      assertThat(elsewhere.canUnwrap(w)).isFalse();
      assertThatThrownBy(() -> elsewhere.unwrap(w, CONTEXT)).isInstanceOf(KeyUnavailableException.class);
      assertThat(AwsKmsMasterKey.discovery("aws-cn", account).client(client(REGION)).build().canUnwrap(w)).isFalse();
      assertThatThrownBy(() -> discovery.generateDataKey(CONTEXT)).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void discovery_multiRegionKeyFromOtherRegion_unwrapsWithLocalReplica() {
    KeyMetadata primary = client(REGION).createKey(b -> b.multiRegion(true)).keyMetadata();
    client(REGION).replicateKey(b -> b.keyId(primary.arn()).replicaRegion(OTHER_REGION));
    DataKey dk = key(primary.arn()).generateDataKey(CONTEXT);
    String single = createKey(REGION);
    WrappedKey singleRegion = key(single).generateDataKey(CONTEXT).wrapped();
    AwsKmsMasterKey west = AwsKmsMasterKey.discovery("aws", primary.awsAccountId()).client(client(OTHER_REGION)).build();

    assertThat(west.unwrap(dk.wrapped(), CONTEXT)).isEqualTo(dk.plaintext());
    assertThat(west.canUnwrap(singleRegion)).isFalse();
  }

  // ------------------------------------------------------------------ with Envelope

  @Test
  void envelope_awsAndLocalKeys_eitherAloneDecrypts() {
    AwsKmsMasterKey aws = key(createKey(REGION));
    LocalMasterKey local = LocalMasterKey.generate("orders");
    byte[] plaintext = "invoice 42".getBytes(StandardCharsets.UTF_8);
    byte[] ciphertext;
    try (Envelope both = Envelope.builder().masterKeys(aws, local).build()) {
      ciphertext = both.encrypt(plaintext, CONTEXT);
    }
    assertThat(Envelope.inspect(ciphertext).keys()).extracting(WrappedKey::provider).containsExactly("aws-kms", "local");

    try (Envelope awsOnly = Envelope.builder().masterKeys(aws).build();
        Envelope localOnly = Envelope.builder().masterKeys(local).build()) {
      assertThat(awsOnly.decrypt(ciphertext, CONTEXT)).isEqualTo(plaintext);
      assertThat(localOnly.decrypt(ciphertext, CONTEXT)).isEqualTo(plaintext);
      assertThatThrownBy(() -> awsOnly.decrypt(ciphertext, EncryptionContext.of("tenant", "43", "purpose", "invoice")))
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void fieldEncryptor_masterKeyRotation_rewrapsDataKeyTableWithReEncryptOnly() {
    AwsKmsMasterKey oldKey = key(createKey(REGION));
    AwsKmsMasterKey newKey = key(createKey(REGION));
    DataKeyStore store = DataKeyStore.inMemory();
    byte[] value;
    try (FieldEncryptor writer = FieldEncryptor.builder().masterKey(oldKey).dataKeyStore(store).build()) {
      value = writer.encrypt("4111 1111 1111 1111".getBytes(StandardCharsets.UTF_8), CONTEXT);
      resetCalls();

      assertThat(writer.rewrapDataKeys(newKey)).isPositive();
    }

    calls("ReEncrypt").ifPresent(n -> assertThat(n).isPositive());
    calls("Decrypt").ifPresent(n -> assertThat(n).isZero());
    calls("GenerateDataKey").ifPresent(n -> assertThat(n).isZero());
    try (FieldEncryptor reader = FieldEncryptor.builder().masterKey(newKey).dataKeyStore(store).build()) {
      assertThat(new String(reader.decrypt(value, CONTEXT), StandardCharsets.UTF_8)).isEqualTo("4111 1111 1111 1111");
    }
  }

  @Test
  void envelope_cacheInFrontOfAws_64Threads_oneGenerateDataKey() throws Exception {
    AwsKmsMasterKey aws = key(createKey(REGION));
    resetCalls();
    int threads = 64;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try (DataKeyCache cache = DataKeyCache.builder().build();
        Envelope env = Envelope.builder().masterKeys(aws).dataKeyCache(cache).build()) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        byte[] plaintext = ("message " + i).getBytes(StandardCharsets.UTF_8);
        Callable<byte[]> task = () -> {
          start.await();
          return env.encrypt(plaintext, CONTEXT);
        };
        results.add(pool.submit(task));
      }
      start.countDown();
      List<byte[]> ciphertexts = new ArrayList<>();
      for (Future<byte[]> f : results) {
        ciphertexts.add(f.get(60, TimeUnit.SECONDS));
      }

      calls("GenerateDataKey").ifPresent(n -> assertThat(n).isEqualTo(1));
      assertThat(cache.stats().misses()).isEqualTo(1);
      for (int i = 0; i < threads; i++) {
        assertThat(new String(env.decrypt(ciphertexts.get(i), CONTEXT), StandardCharsets.UTF_8)).isEqualTo("message " + i);
      }
      calls("Decrypt").ifPresent(n -> assertThat(n).isLessThanOrEqualTo(1));
    } finally {
      pool.shutdownNow();
    }
  }
}
