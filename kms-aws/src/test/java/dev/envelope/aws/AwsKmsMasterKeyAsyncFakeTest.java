package dev.envelope.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.DataKey;
import dev.envelope.core.DataKeyCache;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import dev.envelope.core.LocalMasterKey;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import dev.envelope.testkit.FaultInjector;
import dev.envelope.testkit.aws.AwsFake;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsAsyncClient;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The async path of {@link AwsKmsMasterKey} (GenerateDataKey, Encrypt and Decrypt on a real
 * {@link KmsAsyncClient} over the Netty HTTP client) against the testkit fake, alone and under
 * {@link Envelope#encryptAsync}/{@link Envelope#decryptAsync}.
 */
class AwsKmsMasterKeyAsyncFakeTest {
  static final String REGION = "us-east-1";
  static final String OTHER_REGION = "us-west-2";
  static final EncryptionContext CONTEXT = EncryptionContext.of("tenant", "42", "purpose", "invoice");
  static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create(AwsFake.ACCESS_KEY_ID, AwsFake.SECRET_ACCESS_KEY));
  static final String ENV_THREAD = "envelope-aws-async-test";

  static AwsFake fake;
  static KmsClient sync;
  static KmsAsyncClient async;

  private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> new Thread(r, ENV_THREAD));

  @BeforeAll
  static void start() throws Exception {
    fake = AwsFake.builder().region(REGION).start();
    sync = KmsClient.builder().endpointOverride(fake.endpoint()).region(Region.of(REGION)).credentialsProvider(CREDENTIALS)
        .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
    async = asyncClient(REGION, null);
    // The first call loads the SDK's and Netty's classes; no test should measure that.
    async.listKeys().get(30, TimeUnit.SECONDS);
  }

  static KmsAsyncClient asyncClient(String region, ExecutionInterceptor interceptor) {
    return KmsAsyncClient.builder().endpointOverride(fake.endpoint()).region(Region.of(region))
        .credentialsProvider(CREDENTIALS).httpClientBuilder(NettyNioAsyncHttpClient.builder())
        .overrideConfiguration(o -> {
          if (interceptor != null) {
            o.addExecutionInterceptor(interceptor);
          }
        }).build();
  }

  @AfterAll
  static void stop() {
    async.close();
    sync.close();
    fake.close();
  }

  @BeforeEach
  void reset() {
    fake.faults().clear();
    fake.resetRequests();
  }

  @AfterEach
  void shutdown() {
    fake.faults().clear();
    executor.shutdownNow();
  }

  /** A key on the shared clients: the async one for the async methods. */
  private static AwsKmsMasterKey key(String keyId) {
    return AwsKmsMasterKey.builder().keyId(keyId).client(sync).asyncClient(async).build();
  }

  /** A key that builds both of its clients (Netty for async) from its settings, pointed at the fake. */
  private static AwsKmsMasterKey.Builder ownClients(String arn) {
    return AwsKmsMasterKey.builder().keyId(arn).endpoint(fake.endpoint()).credentialsProvider(CREDENTIALS);
  }

  private Envelope envelope(AwsKmsMasterKey key) {
    return Envelope.builder().masterKeys(key).dataKeyCache(DataKeyCache.builder().build()).executor(executor).build();
  }

  private static Throwable failureOf(CompletableFuture<?> f) throws Exception {
    return f.handle((v, e) -> e).get(30, TimeUnit.SECONDS);
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached within 20 s");
      }
      Thread.sleep(2);
    }
  }

  @Test
  void generateAndUnwrapAsync_withContext_roundTrip_overTheAsyncClient() throws Exception {
    String arn = fake.createKey(REGION);
    AwsKmsMasterKey key = key(arn);

    DataKey dk = key.generateDataKeyAsync(CONTEXT, executor).get(30, TimeUnit.SECONDS);
    SecretBytes back = key.unwrapAsync(dk.wrapped(), EncryptionContext.of("purpose", "invoice", "tenant", "42"), executor)
        .get(30, TimeUnit.SECONDS);
    WrappedKey second = key.wrapAsync(dk.plaintext(), CONTEXT, executor).get(30, TimeUnit.SECONDS);

    assertThat(dk.wrapped().keyId()).isEqualTo(arn);
    assertThat(dk.plaintext().length()).isEqualTo(32);
    assertThat(back).isEqualTo(dk.plaintext());
    assertThat(key.unwrap(second, CONTEXT)).isEqualTo(dk.plaintext());
    assertThat(fake.requests()).filteredOn(r -> r.operation().equals("Decrypt")).hasSize(2)
        .allSatisfy(r -> assertThat(r.resourceId()).isEqualTo(arn));
  }

  @Test
  void envelopeAsync_roundTrip_oneGenerateDataKeyAndOneDecrypt() throws Exception {
    AwsKmsMasterKey key = key(fake.createKey(REGION));
    byte[] plaintext = "invoice 42".getBytes(StandardCharsets.UTF_8);
    byte[] ciphertext;
    try (Envelope writer = envelope(key)) {
      ciphertext = writer.encryptAsync(plaintext, CONTEXT).get(30, TimeUnit.SECONDS);
    }
    try (Envelope reader = envelope(key)) {
      assertThat(reader.decryptAsync(ciphertext, CONTEXT).get(30, TimeUnit.SECONDS)).isEqualTo(plaintext);
    }
    assertThat(fake.calls().count("GenerateDataKey")).isEqualTo(1);
    assertThat(fake.calls().count("Decrypt")).isEqualTo(1);
  }

  @Test
  void wrongContext_invalidCiphertextAsTheFuturesCause() throws Exception {
    AwsKmsMasterKey key = key(fake.createKey(REGION));
    EncryptionContext wrong = EncryptionContext.of("tenant", "43", "purpose", "invoice");
    byte[] ciphertext;
    try (Envelope writer = envelope(key)) {
      ciphertext = writer.encryptAsync(new byte[10], CONTEXT).get(30, TimeUnit.SECONDS);
    }
    WrappedKey w = Envelope.inspect(ciphertext).keys().get(0);

    assertThat(failureOf(key.unwrapAsync(w, wrong, executor))).isExactlyInstanceOf(InvalidCiphertextException.class)
        .hasMessage(new InvalidCiphertextException().getMessage());
    assertThat(fake.calls().count("Decrypt")).isEqualTo(1);
    try (Envelope reader = envelope(key)) {
      CompletableFuture<byte[]> f = reader.decryptAsync(ciphertext, wrong);
      assertThatThrownBy(() -> f.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .hasCauseExactlyInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void encryptAsync_64ConcurrentOnColdCache_oneGenerateDataKey_decryptAsync64_oneDecrypt() throws Exception {
    AwsKmsMasterKey key = key(fake.createKey(REGION));
    fake.faults().latency("GenerateDataKey", Duration.ofMillis(200)).latency("Decrypt", Duration.ofMillis(200));
    List<CompletableFuture<byte[]>> encrypted = new ArrayList<>();
    Set<String> dataKeys = ConcurrentHashMap.newKeySet();
    try (Envelope env = envelope(key)) {
      for (int i = 0; i < 64; i++) {
        encrypted.add(env.encryptAsync(("message " + i).getBytes(StandardCharsets.UTF_8), CONTEXT));
      }
      for (CompletableFuture<byte[]> f : encrypted) {
        dataKeys.add(HexFormat.of().formatHex(Envelope.inspect(f.get(30, TimeUnit.SECONDS)).keys().get(0)
            .unsafeCiphertext()));
      }
    }
    assertThat(fake.calls().count("GenerateDataKey")).isEqualTo(1);
    assertThat(dataKeys).hasSize(1);

    byte[] one = encrypted.get(7).get();
    List<CompletableFuture<byte[]>> decrypted = new ArrayList<>();
    try (Envelope env = envelope(key)) {
      for (int i = 0; i < 64; i++) {
        decrypted.add(env.decryptAsync(one, CONTEXT));
      }
      for (CompletableFuture<byte[]> f : decrypted) {
        assertThat(f.get(30, TimeUnit.SECONDS)).asString(StandardCharsets.UTF_8).isEqualTo("message 7");
      }
    }
    assertThat(fake.calls().count("Decrypt")).isEqualTo(1);
  }

  @Test
  void kmsOutstanding_noEnvelopeThreadBlocks_andAesRunsOnTheEnvelopeExecutor() throws Exception {
    AwsKmsMasterKey key = key(fake.createKey(REGION));
    fake.faults().latency("GenerateDataKey", Duration.ofMillis(800));
    ExecutorService single = Executors.newSingleThreadExecutor(r -> new Thread(r, ENV_THREAD + "-single"));
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(DataKeyCache.builder().build())
        .executor(single).build()) {
      CompletableFuture<byte[]> ciphertext = env.encryptAsync(new byte[100], CONTEXT);
      CompletableFuture<String> completedOn = ciphertext.thenApply(x -> Thread.currentThread().getName());
      awaitTrue(() -> fake.calls().count("GenerateDataKey") == 1);

      // The fake holds GenerateDataKey for 800 ms; the envelope's only thread runs other work meanwhile.
      Future<String> probe = single.submit(() -> "ran");
      assertThat(probe.get(5, TimeUnit.SECONDS)).isEqualTo("ran");
      assertThat(ciphertext).isNotDone();

      assertThat(completedOn.get(30, TimeUnit.SECONDS)).isEqualTo(ENV_THREAD + "-single");
      assertThat(env.decrypt(ciphertext.get(), CONTEXT)).hasSize(100);
    } finally {
      single.shutdownNow();
    }
  }

  @Test
  void throttlingTwice_recoveredByTheAsyncClientsRetries() throws Exception {
    String arn = fake.createKey(REGION);
    fake.faults().throttle("GenerateDataKey", 2);
    try (AwsKmsMasterKey key = ownClients(arn).maxAttempts(3).build()) {
      assertThat(key.generateDataKeyAsync(CONTEXT, executor).get(30, TimeUnit.SECONDS).wrapped().keyId()).isEqualTo(arn);
    }
    assertThat(fake.calls().count("GenerateDataKey")).isEqualTo(3);
    assertThat(fake.calls().failures("GenerateDataKey")).isEqualTo(2);
  }

  @Test
  void permanent5xx_retryableKmsExceptionWithinTheDeadline() throws Exception {
    String arn = fake.createKey(REGION);
    fake.faults().serverError("GenerateDataKey", FaultInjector.ALWAYS);
    Duration deadline = Duration.ofSeconds(3);
    long start = System.nanoTime();
    Throwable failure;
    try (AwsKmsMasterKey key = ownClients(arn).maxAttempts(3).deadline(deadline).build();
        Envelope env = envelope(key)) {
      failure = failureOf(env.encryptAsync(new byte[1], CONTEXT));
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(deadline);
    assertThat(failure).isInstanceOfSatisfying(KmsException.class, e -> {
      assertThat(e.isRetryable()).isTrue();
      assertThat(e).hasMessageContaining("KMSInternalException").hasMessageContaining(arn);
    });
    assertThat(fake.calls().count("GenerateDataKey")).isEqualTo(3);
  }

  @Test
  void unansweredCalls_deadlineEndsTheFuture_retryableKmsException() throws Exception {
    String arn = fake.createKey(REGION);
    fake.faults().timeout("GenerateDataKey", FaultInjector.ALWAYS);
    long start = System.nanoTime();
    try (AwsKmsMasterKey key = ownClients(arn).attemptTimeout(Duration.ofMillis(200)).deadline(Duration.ofSeconds(1))
        .build()) {
      assertThat(failureOf(key.generateDataKeyAsync(CONTEXT, executor))).isInstanceOfSatisfying(KmsException.class,
          e -> assertThat(e.isRetryable()).isTrue());
    } finally {
      fake.faults().clear();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
  }

  @Test
  void disabledKey_keyUnavailable_forGenerateAndUnwrap() throws Exception {
    String arn = fake.createKey(REGION);
    AwsKmsMasterKey key = key(arn);
    WrappedKey w = key.generateDataKeyAsync(CONTEXT, executor).get(30, TimeUnit.SECONDS).wrapped();

    fake.disableKey(arn);

    assertThat(failureOf(key.generateDataKeyAsync(CONTEXT, executor)))
        .isExactlyInstanceOf(KeyUnavailableException.class).hasMessageContaining(arn)
        .hasMessageContaining("DisabledException");
    assertThat(failureOf(key.unwrapAsync(w, CONTEXT, executor))).isExactlyInstanceOf(KeyUnavailableException.class);
    try (Envelope env = envelope(key)) {
      assertThat(failureOf(env.encryptAsync(new byte[1], CONTEXT))).isExactlyInstanceOf(KeyUnavailableException.class);
    }
    fake.enableKey(arn);
    assertThat(key.unwrapAsync(w, CONTEXT, executor).get(30, TimeUnit.SECONDS).length()).isEqualTo(32);
  }

  @Test
  void answerNamingAnotherKey_rejectedAndPlaintextZeroed_asOnTheSyncPath() throws Exception {
    String arn = fake.createKey(REGION);
    String other = fake.createKey(REGION);
    KeyIdForger forger = new KeyIdForger();
    KmsAsyncClient forging = asyncClient(REGION, forger);
    try {
      AwsKmsMasterKey key = AwsKmsMasterKey.builder().keyId(arn).client(sync).asyncClient(forging).build();
      WrappedKey w = key.generateDataKeyAsync(CONTEXT, executor).get(30, TimeUnit.SECONDS).wrapped();
      forger.keyId = other;

      assertThat(failureOf(key.generateDataKeyAsync(CONTEXT, executor))).isInstanceOfSatisfying(KmsException.class,
          e -> assertThat(e.isRetryable()).isFalse()).hasMessageContaining(other);
      assertThat(forger.plaintext.get().asByteArrayUnsafe()).containsOnly(0);
      assertThat(failureOf(key.unwrapAsync(w, CONTEXT, executor))).isInstanceOf(KmsException.class);
      assertThat(forger.plaintext.get().asByteArrayUnsafe()).containsOnly(0);
    } finally {
      forging.close();
    }
  }

  @Test
  void alias_firstAsyncUseFrom16Callers_oneDescribeKey_callsNameTheArn() throws Exception {
    String arn = fake.createKey(REGION);
    fake.createAlias("alias/async-busy", arn);
    AwsKmsMasterKey key = key("alias/async-busy");
    fake.faults().latency("DescribeKey", Duration.ofMillis(100));
    List<CompletableFuture<DataKey>> keys = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      keys.add(key.generateDataKeyAsync(CONTEXT, executor));
    }
    for (CompletableFuture<DataKey> f : keys) {
      assertThat(f.get(30, TimeUnit.SECONDS).wrapped().keyId()).isEqualTo(arn);
    }
    assertThat(fake.calls().count("DescribeKey")).isEqualTo(1);
    assertThat(fake.requests()).filteredOn(r -> r.operation().equals("GenerateDataKey")).hasSize(16)
        .allSatisfy(r -> assertThat(r.resourceId()).isEqualTo(arn));
  }

  @Test
  void ownAsyncClient_builtFromTheKeysSettings_closedWithTheKey() throws Exception {
    String arn = fake.createKey(REGION);
    AwsKmsMasterKey key = ownClients(arn).build();
    DataKey dk = key.generateDataKeyAsync(CONTEXT, executor).get(30, TimeUnit.SECONDS);
    assertThat(key.unwrapAsync(dk.wrapped(), CONTEXT, executor).get(30, TimeUnit.SECONDS)).isEqualTo(dk.plaintext());

    key.close();

    assertThat(failureOf(key.generateDataKeyAsync(CONTEXT, executor))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void onlyASyncClientGiven_asyncMethodsRunItOnTheCallersExecutor() throws Exception {
    String arn = fake.createKey(REGION);
    AwsKmsMasterKey key = AwsKmsMasterKey.builder().keyId(arn).client(sync).build();
    ExecutorService named = Executors.newSingleThreadExecutor(r -> new Thread(r, "callers-executor"));
    try {
      AtomicReference<String> thread = new AtomicReference<>();
      DataKey dk = key.generateDataKeyAsync(CONTEXT, r -> named.execute(() -> {
        thread.set(Thread.currentThread().getName());
        r.run();
      })).get(30, TimeUnit.SECONDS);
      assertThat(thread.get()).isEqualTo("callers-executor");
      assertThat(key.unwrapAsync(dk.wrapped(), CONTEXT, named).get(30, TimeUnit.SECONDS)).isEqualTo(dk.plaintext());
    } finally {
      named.shutdownNow();
    }
  }

  @Test
  void discoveryAndMixedKeyrings_async() throws Exception {
    String arn = fake.createKey(REGION);
    LocalMasterKey local = LocalMasterKey.generate("local");
    byte[] ciphertext;
    try (Envelope both = Envelope.builder().masterKeys(local, key(arn)).executor(executor).build()) {
      ciphertext = both.encryptAsync("both".getBytes(StandardCharsets.UTF_8), CONTEXT).get(30, TimeUnit.SECONDS);
    }
    assertThat(fake.calls().count("Encrypt")).isEqualTo(1);
    try (AwsKmsMasterKey discovery = AwsKmsMasterKey.discovery("aws", fake.account()).client(sync).asyncClient(async)
        .build();
        Envelope reader = Envelope.builder().masterKeys(discovery).executor(executor).build()) {
      assertThat(reader.decryptAsync(ciphertext, CONTEXT).get(30, TimeUnit.SECONDS)).asString(StandardCharsets.UTF_8)
          .isEqualTo("both");
      assertThat(failureOf(discovery.generateDataKeyAsync(CONTEXT, executor))).isInstanceOf(IllegalStateException.class);
    }
    assertThat(fake.calls().count("Decrypt")).isEqualTo(1);
  }

  @Test
  void builder_asyncClientInAnotherRegion_rejected() {
    String arn = fake.createKey(REGION);
    KmsAsyncClient west = asyncClient(OTHER_REGION, null);
    try {
      assertThatThrownBy(() -> AwsKmsMasterKey.builder().keyId(arn).client(sync).asyncClient(west).build())
          .isInstanceOf(IllegalStateException.class).hasMessageContaining(OTHER_REGION);
      assertThatThrownBy(() -> ownClients(arn).asyncClient(west).build()).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> AwsKmsMasterKey.builder().asyncClient(null)).isInstanceOf(NullPointerException.class);
    } finally {
      west.close();
    }
  }
}
