package dev.envelope.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.DataKey;
import dev.envelope.core.Envelope;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import dev.envelope.core.MasterKey;
import dev.envelope.core.MasterKeyResolver;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import dev.envelope.testkit.FaultInjector;
import dev.envelope.testkit.aws.AwsFake;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/** {@link AwsKmsMasterKey} against the testkit fake: the contract plus faults, forged answers and settings. */
class AwsKmsMasterKeyFakeTest extends AwsKmsMasterKeyContract {
  private static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create(AwsFake.ACCESS_KEY_ID, AwsFake.SECRET_ACCESS_KEY));

  private final AwsFake fake = AwsFake.builder().region(REGION).start();
  private final Map<String, KmsClient> clients = new ConcurrentHashMap<>();

  @Override
  KmsClient client(String region) {
    return clients.computeIfAbsent(region, r -> KmsClient.builder().endpointOverride(fake.endpoint())
        .region(Region.of(r)).credentialsProvider(CREDENTIALS).httpClientBuilder(UrlConnectionHttpClient.builder())
        .build());
  }

  @Override
  OptionalLong calls(String operation) {
    return OptionalLong.of(fake.calls().count(operation));
  }

  @Override
  void resetCalls() {
    fake.resetRequests();
  }

  @AfterEach
  void close() {
    clients.values().forEach(KmsClient::close);
    fake.close();
  }

  /** A key with its own client (the path users take), pointed at the fake. */
  private AwsKmsMasterKey.Builder ownClient(String arn) {
    return AwsKmsMasterKey.builder().keyId(arn).endpoint(fake.endpoint()).credentialsProvider(CREDENTIALS);
  }

  @Test
  void unwrap_alwaysNamesTheKey_neverAnUnscopedDecrypt() {
    String arn = fake.createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    byte[] ciphertext;
    try (Envelope env = Envelope.builder().masterKeys(key).build()) {
      ciphertext = env.encrypt("x".getBytes(StandardCharsets.UTF_8), CONTEXT);
      fake.resetRequests();
      env.decrypt(ciphertext, CONTEXT);
    }
    try (AwsKmsMasterKey discovery = AwsKmsMasterKey.discovery("aws", fake.account()).client(client(REGION)).build()) {
      discovery.unwrap(Envelope.inspect(ciphertext).keys().get(0), CONTEXT);
    }

    assertThat(fake.requests()).filteredOn(r -> r.operation().equals("Decrypt")).hasSize(2)
        .allSatisfy(r -> assertThat(r.resourceId()).isEqualTo(arn));
  }

  @Test
  void alias_resolvedOnceWithDescribeKey() {
    String arn = fake.createKey(REGION);
    fake.createAlias("alias/once", arn);
    AwsKmsMasterKey key = key("alias/once");

    DataKey a = key.generateDataKey(CONTEXT);
    key.wrap(a.plaintext(), CONTEXT);
    key.unwrap(a.wrapped(), CONTEXT);
    key.canUnwrap(a.wrapped());

    assertThat(fake.calls().count("DescribeKey")).isEqualTo(1);
    assertThat(fake.requests()).filteredOn(r -> !r.operation().equals("DescribeKey"))
        .allSatisfy(r -> assertThat(r.resourceId()).isEqualTo(arn));
  }

  @Test
  void alias_firstUseFrom16Threads_oneDescribeKey() throws Exception {
    String arn = fake.createKey(REGION);
    fake.createAlias("alias/busy", arn);
    AwsKmsMasterKey key = key("alias/busy");
    fake.faults().latency("DescribeKey", Duration.ofMillis(100));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(16);
    try {
      java.util.List<java.util.concurrent.Future<String>> keys = new java.util.ArrayList<>();
      for (int i = 0; i < 16; i++) {
        keys.add(pool.submit(() -> key.generateDataKey(CONTEXT).wrapped().keyId()));
      }
      for (java.util.concurrent.Future<String> f : keys) {
        assertThat(f.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(arn);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(fake.calls().count("DescribeKey")).isEqualTo(1);
  }

  @Test
  void generateDataKey_recordsKeyMaterialIdAsVersion_encryptHasNone() {
    String arn = fake.createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    String material = client(REGION).describeKey(b -> b.keyId(arn)).keyMetadata().currentKeyMaterialId();

    DataKey dk = key.generateDataKey(CONTEXT);

    assertThat(dk.wrapped().version()).isEqualTo(material);
    assertThat(key.wrap(dk.plaintext(), CONTEXT).version()).isEmpty();
  }

  @Test
  void throttling_twice_recoveredBySdkRetries() {
    String arn = fake.createKey(REGION);
    fake.faults().throttle("GenerateDataKey", 2);
    try (AwsKmsMasterKey key = ownClient(arn).maxAttempts(3).build()) {
      assertThat(key.generateDataKey(CONTEXT).wrapped().keyId()).isEqualTo(arn);
    }
    assertThat(fake.calls().count("GenerateDataKey")).isEqualTo(3);
    assertThat(fake.calls().failures("GenerateDataKey")).isEqualTo(2);
  }

  @Test
  void permanent5xx_retryableKmsExceptionWithinDeadline() {
    String arn = fake.createKey(REGION);
    fake.faults().serverError("GenerateDataKey", FaultInjector.ALWAYS);
    Duration deadline = Duration.ofSeconds(3);
    long start = System.nanoTime();
    try (AwsKmsMasterKey key = ownClient(arn).maxAttempts(3).deadline(deadline).build()) {
      assertThatThrownBy(() -> key.generateDataKey(CONTEXT)).isInstanceOfSatisfying(KmsException.class, e -> {
        assertThat(e.isRetryable()).isTrue();
        assertThat(e).hasMessageContaining("KMSInternalException").hasMessageContaining(arn);
      });
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(deadline);
    assertThat(fake.calls().count("GenerateDataKey")).isEqualTo(3);
  }

  @Test
  void slow5xx_deadlineStopsRetriesEarly_retryableKmsException() {
    String arn = fake.createKey(REGION);
    fake.faults().serverError("GenerateDataKey", FaultInjector.ALWAYS).latency("GenerateDataKey", Duration.ofMillis(300));
    long start = System.nanoTime();
    try (AwsKmsMasterKey key = ownClient(arn).maxAttempts(20).deadline(Duration.ofSeconds(1)).build()) {
      assertThatThrownBy(() -> key.generateDataKey(CONTEXT)).isInstanceOfSatisfying(KmsException.class,
          e -> assertThat(e.isRetryable()).isTrue());
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
    assertThat(fake.calls().count("GenerateDataKey")).isBetween(1L, 5L);
  }

  @Test
  void unansweredCalls_attemptTimeouts_retryableKmsExceptionWithinDeadline() {
    String arn = fake.createKey(REGION);
    fake.faults().timeout("Encrypt", FaultInjector.ALWAYS);
    long start = System.nanoTime();
    try (AwsKmsMasterKey key = ownClient(arn).attemptTimeout(Duration.ofMillis(200)).deadline(Duration.ofSeconds(1))
        .build()) {
      assertThatThrownBy(() -> key.wrap(SecretBytes.wrap(new byte[32]), CONTEXT))
          .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isTrue());
    } finally {
      fake.faults().clear();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
  }

  @Test
  void errors_mapOntoEnvelopeExceptions() {
    String arn = fake.createKey(REGION);
    AwsKmsMasterKey key = ownClient(arn).maxAttempts(1).build();
    // Values that cannot occur in ARNs or error codes, so the message check below means something.
    dev.envelope.core.EncryptionContext context = dev.envelope.core.EncryptionContext.of("customer", "zebra-quartz");
    WrappedKey w = key.generateDataKey(context).wrapped();
    record Case(String code, Class<? extends RuntimeException> type, Boolean retryable) {}
    for (Case c : new Case[] {
        new Case("AccessDeniedException", AccessDeniedException.class, null),
        new Case("UnrecognizedClientException", AccessDeniedException.class, null),
        new Case("IncorrectKeyException", InvalidCiphertextException.class, null),
        new Case("KMSInvalidStateException", KeyUnavailableException.class, null),
        new Case("NotFoundException", KeyUnavailableException.class, null),
        new Case("KeyUnavailableException", KmsException.class, true),
        new Case("DependencyTimeoutException", KmsException.class, true),
        new Case("ValidationException", KmsException.class, false),
        new Case("InvalidGrantTokenException", KmsException.class, false)}) {
      fake.faults().error("Decrypt", c.code(), 1);
      assertThatThrownBy(() -> key.unwrap(w, context)).as(c.code()).isInstanceOfSatisfying(c.type(), e -> {
        if (c.retryable() != null) {
          assertThat(((KmsException) e).isRetryable()).as(c.code()).isEqualTo(c.retryable());
        }
        assertThat(e.getMessage()).doesNotContain("zebra", "quartz");
      });
    }
    key.close();
  }

  @Test
  void answerNamingAnotherKey_rejectedAndPlaintextZeroed() {
    String arn = fake.createKey(REGION);
    String other = fake.createKey(REGION);
    KeyIdForger forger = new KeyIdForger();
    try (KmsClient forging = KmsClient.builder().endpointOverride(fake.endpoint()).region(Region.of(REGION))
        .credentialsProvider(CREDENTIALS).httpClientBuilder(UrlConnectionHttpClient.builder())
        .overrideConfiguration(o -> o.addExecutionInterceptor(forger)).build()) {
      AwsKmsMasterKey key = AwsKmsMasterKey.builder().keyId(arn).client(forging).build();
      WrappedKey w = key.generateDataKey(CONTEXT).wrapped();
      forger.keyId = other;

      assertThatThrownBy(() -> key.generateDataKey(CONTEXT)).isInstanceOfSatisfying(KmsException.class,
          e -> assertThat(e.isRetryable()).isFalse()).hasMessageContaining(other);
      assertThat(forger.plaintext.get().asByteArrayUnsafe()).containsOnly(0);
      assertThatThrownBy(() -> key.unwrap(w, CONTEXT)).isInstanceOf(KmsException.class);
      assertThat(forger.plaintext.get().asByteArrayUnsafe()).containsOnly(0);
      assertThatThrownBy(() -> key.wrap(SecretBytes.wrap(new byte[32]), CONTEXT)).isInstanceOf(KmsException.class);
    }
  }

  @Test
  void rewrap_toLocalKey_fallsBackToUnwrapAndWrap() {
    String arn = fake.createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    DataKey dk = key.generateDataKey(CONTEXT);
    dev.envelope.core.LocalMasterKey local = dev.envelope.core.LocalMasterKey.generate("archive");
    fake.resetRequests();

    WrappedKey rewrapped = key.rewrap(dk.wrapped(), local, CONTEXT);

    assertThat(local.unwrap(rewrapped, CONTEXT)).isEqualTo(dk.plaintext());
    assertThat(fake.calls().count("Decrypt")).isEqualTo(1);
    assertThat(fake.calls().count("ReEncrypt")).isZero();
  }

  @Test
  void rewrap_toKeyInAnotherRegion_fallsBackToDecryptAndEncrypt() {
    AwsKmsMasterKey east = key(fake.createKey(REGION));
    String westArn = fake.createKey(OTHER_REGION);
    AwsKmsMasterKey west = key(westArn, OTHER_REGION);
    DataKey dk = east.generateDataKey(CONTEXT);
    fake.resetRequests();

    WrappedKey rewrapped = east.rewrap(dk.wrapped(), west, CONTEXT);

    assertThat(rewrapped.keyId()).isEqualTo(westArn);
    assertThat(west.unwrap(rewrapped, CONTEXT)).isEqualTo(dk.plaintext());
    assertThat(fake.calls().count("ReEncrypt")).isZero();
  }

  @Test
  void aliasThatCannotBeResolved_canUnwrapDefersToUnwrapWhichReportsWhy() {
    String arn = fake.createKey(REGION);
    WrappedKey w = key(arn).generateDataKey(CONTEXT).wrapped();
    AwsKmsMasterKey aliased = key("alias/missing");

    assertThat(aliased.canUnwrap(w)).isTrue();
    assertThatThrownBy(() -> aliased.unwrap(w, CONTEXT)).isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("alias/missing");
    assertThat(aliased.canUnwrap(new WrappedKey("local", "k", "1", new byte[60]))).isFalse();
  }

  @Test
  void defaultClient_takesEndpointRegionAndCredentialsFromTheSdkDefaults() {
    String arn = fake.createKey(REGION);
    withSystemProperties(Map.of("aws.endpointUrlKms", fake.endpoint().toString(), "aws.region", REGION,
        "aws.accessKeyId", "testkit", "aws.secretAccessKey", "testkit"), () -> {
      try (AwsKmsMasterKey byArn = AwsKmsMasterKey.builder().keyId(arn).build();
          AwsKmsMasterKey byAlias = AwsKmsMasterKey.builder().keyId(fake.createAlias("alias/env", arn)).build()) {
        assertThat(byArn.region()).isEqualTo(REGION);
        DataKey dk = byArn.generateDataKey(CONTEXT);
        assertThat(byAlias.unwrap(dk.wrapped(), CONTEXT)).isEqualTo(dk.plaintext());
      }
    });
    assertThat(fake.calls().count("GenerateDataKey")).isEqualTo(1);
  }

  @Test
  void resolver_awsKmsScheme_endpointAndRegionOptions() {
    String arn = fake.createKey(REGION);
    fake.createAlias("alias/cli", arn);
    withSystemProperties(Map.of("aws.accessKeyId", "testkit", "aws.secretAccessKey", "testkit"), () -> {
      MasterKey byAlias = MasterKeyResolver.resolveSpec("aws-kms:alias/cli",
          Map.of("endpoint", fake.endpoint().toString(), "region", REGION));
      MasterKey byArn = MasterKeyResolver.resolveSpec("aws-kms:" + arn, Map.of("endpoint", fake.endpoint().toString()));
      MasterKey discovery = MasterKeyResolver.resolveSpec("aws-kms:discovery:aws:" + fake.account(),
          Map.of("endpoint", fake.endpoint().toString(), "region", REGION));

      assertThat(byAlias).isInstanceOf(AwsKmsMasterKey.class);
      DataKey dk = byAlias.generateDataKey(CONTEXT);
      assertThat(dk.wrapped().keyId()).isEqualTo(arn);
      assertThat(byArn.unwrap(dk.wrapped(), CONTEXT)).isEqualTo(dk.plaintext());
      assertThat(discovery.unwrap(dk.wrapped(), CONTEXT)).isEqualTo(dk.plaintext());
      assertThatThrownBy(() -> MasterKeyResolver.resolveSpec("aws-kms:" + arn, Map.of("colour", "red")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("colour");
      assertThatThrownBy(() -> MasterKeyResolver.resolveSpec("aws-kms:" + arn, Map.of("region", OTHER_REGION)))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> MasterKeyResolver.resolveSpec("aws-kms:discovery:aws", Map.of()))
          .isInstanceOf(IllegalArgumentException.class);
    });
  }

  @Test
  void builder_badOrConflictingSettings_throw() {
    String arn = fake.createKey(REGION);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().keyId("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().keyId("alias/a b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().keyId("arn:aws:s3:::bucket").client(client(REGION)).build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().keyId(arn).client(client(REGION)).endpoint(fake.endpoint()).build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().keyId(arn).client(client(REGION)).maxAttempts(2).build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().keyId(arn).client(client(OTHER_REGION)).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("replica");
    assertThatThrownBy(() -> ownClient(arn).region(OTHER_REGION).build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().region("Mars")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().endpoint(URI.create("ftp://x"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().endpoint(URI.create("/relative"))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().deadline(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.builder().maxAttempts(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ownClient(arn).deadline(Duration.ofSeconds(1)).attemptTimeout(Duration.ofSeconds(2)).build())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.discovery("aws")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.discovery("aws", "12345")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.discovery("AWS!", "111122223333")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AwsKmsMasterKey.discovery("aws", "111122223333").keyId(arn).client(client(REGION)).build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void refAndToString_nameTheKeyOnly() {
    String arn = fake.createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    DataKey dk = key.generateDataKey(CONTEXT);

    assertThat(key.ref().provider()).isEqualTo("aws-kms");
    assertThat(key.ref().keyId()).isEqualTo(arn);
    assertThat(key.toString()).isEqualTo("AwsKmsMasterKey[" + arn + "]");
    assertThat(dk.toString()).doesNotContain(java.util.HexFormat.of().formatHex(dk.plaintext().unsafeBytes()));
    assertThat(AwsKmsMasterKey.discovery("aws", "111122223333", "444455556666").client(client(REGION)).build().ref()
        .keyId()).isEqualTo("discovery:aws:111122223333,444455556666");
  }

  private static void withSystemProperties(Map<String, String> properties, Runnable body) {
    Map<String, String> previous = new HashMap<>();
    properties.forEach((k, v) -> previous.put(k, System.getProperty(k)));
    properties.forEach(System::setProperty);
    try {
      body.run();
    } finally {
      previous.forEach((k, v) -> {
        if (v == null) {
          System.clearProperty(k);
        } else {
          System.setProperty(k, v);
        }
      });
    }
  }
}
