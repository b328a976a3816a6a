package dev.envelope.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.api.gax.rpc.InvalidArgumentException;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.KeyManagementServiceSettings;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.DataKey;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyRef;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import dev.envelope.core.MasterKey;
import dev.envelope.core.MasterKeyResolver;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import dev.envelope.testkit.gcp.FakeKms;
import dev.envelope.testkit.gcp.GcpFakes;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.time.Duration;
import java.util.Map;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GcpKmsMasterKeyTest {
  private static final String RING = "projects/envelope-test/locations/europe-west1/keyRings/app";
  private static final String KEY = RING + "/cryptoKeys/orders";
  private static final EncryptionContext CONTEXT = EncryptionContext.of("tenant", "acme-secret-tenant", "table", "orders");

  private GcpFakes fakes;
  private GcpKmsMasterKey key;

  @BeforeEach
  void start() {
    fakes = GcpFakes.start();
    fakes.kms().createKey(KEY);
    key = GcpKmsMasterKey.builder().keyName(KEY).endpoint(fakes.endpoint()).deadline(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() {
    key.close();
    fakes.close();
  }

  private static long crc32c(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return crc.getValue();
  }

  @Test
  void generateDataKey_thenUnwrap_sameContext_returnsTheDataKey() {
    try (DataKey dk = key.generateDataKey(CONTEXT)) {
      WrappedKey w = dk.wrapped();

      assertThat(w.provider()).isEqualTo("gcp-kms");
      assertThat(w.keyId()).isEqualTo(KEY);
      assertThat(w.version()).isEqualTo(KEY + "/cryptoKeyVersions/1");
      try (SecretBytes unwrapped = key.unwrap(w, CONTEXT)) {
        assertThat(unwrapped).isEqualTo(dk.plaintext());
        assertThat(unwrapped.length()).isEqualTo(MasterKey.DATA_KEY_LENGTH);
      }
    }
    assertThat(fakes.faults().calls("Encrypt")).isEqualTo(1);
    assertThat(fakes.faults().calls("Decrypt")).isEqualTo(1);
  }

  @Test
  void wrap_sendsTheCanonicalContextAsKmsAad() {
    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);

    try (KeyManagementServiceClient raw = RealClients.kms(fakes)) {
      byte[] aad = CONTEXT.canonicalBytes();
      assertThat(raw.decrypt(DecryptRequest.newBuilder().setName(KEY).setCiphertext(ByteString.copyFrom(w.ciphertext()))
          .setAdditionalAuthenticatedData(ByteString.copyFrom(aad)).build()).getPlaintext().toByteArray())
          .isEqualTo(new byte[32]);
      assertThatThrownBy(() -> raw.decrypt(KEY, ByteString.copyFrom(w.ciphertext())))
          .isInstanceOf(InvalidArgumentException.class);
    }
  }

  @Test
  void unwrap_otherContext_isInvalidCiphertext_withoutRetry() {
    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);

    assertThatThrownBy(() -> key.unwrap(w, EncryptionContext.of("tenant", "other", "table", "orders")))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThatThrownBy(() -> key.unwrap(w, EncryptionContext.empty()))
        .isInstanceOf(InvalidCiphertextException.class);
    assertThat(fakes.faults().calls("Decrypt")).isEqualTo(2);
  }

  @Test
  void unwrap_alteredCiphertext_isInvalidCiphertext() {
    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);
    byte[] ct = w.ciphertext();
    ct[ct.length - 1] ^= 1;

    assertThatThrownBy(() -> key.unwrap(new WrappedKey(w.provider(), w.keyId(), w.version(), ct), CONTEXT))
        .isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void unwrap_ciphertextOfAnotherKeyRelabelled_isInvalidCiphertext() {
    String otherName = fakes.kms().createKey(RING + "/cryptoKeys/other");
    try (GcpKmsMasterKey other = GcpKmsMasterKey.builder().keyName(otherName).endpoint(fakes.endpoint()).build()) {
      WrappedKey w = other.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);

      assertThat(key.canUnwrap(w)).isFalse();
      assertThatThrownBy(() -> key.unwrap(w, CONTEXT)).isInstanceOf(IllegalArgumentException.class);
      WrappedKey relabelled = new WrappedKey("gcp-kms", KEY, w.version(), w.ciphertext());
      assertThatThrownBy(() -> key.unwrap(relabelled, CONTEXT)).isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void wrap_corruptedResponseChecksum_isDetectedAndTheCallRepeated() {
    fakes.faults().corruptChecksums("Encrypt", 1);

    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);

    assertThat(fakes.faults().calls("Encrypt")).isEqualTo(2);
    assertThat(key.unwrap(w, CONTEXT).toByteArray()).isEqualTo(new byte[32]);
  }

  @Test
  void wrap_persistentlyCorruptedChecksum_failsNonRetryable_afterThreeAttempts() {
    fakes.faults().corruptChecksums("Encrypt", 100);

    assertThatThrownBy(() -> key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT))
        .isInstanceOfSatisfying(KmsException.class, e -> {
          assertThat(e.isRetryable()).isFalse();
          assertThat(e.getMessage()).contains("ciphertext_crc32c mismatch").doesNotContain("acme-secret-tenant");
        });
    assertThat(fakes.faults().calls("Encrypt")).isEqualTo(GcpKmsMasterKey.INTEGRITY_ATTEMPTS);
  }

  @Test
  void wrap_requestChecksumsNotVerifiedByKms_isRejected() {
    fakes.faults().dropRequestChecksums("Encrypt", 1);
    key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);
    assertThat(fakes.faults().calls("Encrypt")).isEqualTo(2);

    fakes.faults().dropRequestChecksums("Encrypt", 100);
    assertThatThrownBy(() -> key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT))
        .isInstanceOfSatisfying(KmsException.class, e ->
            assertThat(e.getMessage()).contains("verified_plaintext_crc32c is false"));
  }

  @Test
  void unwrap_corruptedPlaintextChecksum_isDetected() {
    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);
    fakes.faults().corruptChecksums("Decrypt", 1);

    assertThat(key.unwrap(w, CONTEXT).toByteArray()).isEqualTo(new byte[32]);
    assertThat(fakes.faults().calls("Decrypt")).isEqualTo(2);

    fakes.faults().corruptChecksums("Decrypt", 100);
    assertThatThrownBy(() -> key.unwrap(w, CONTEXT))
        .isInstanceOfSatisfying(KmsException.class, e -> {
          assertThat(e.isRetryable()).isFalse();
          assertThat(e.getMessage()).contains("plaintext_crc32c mismatch");
        });
  }

  @Test
  void rotation_newWrapsNameTheNewVersion_oldWrappedKeysStillUnwrap() {
    SecretBytes dataKey = SecretBytes.copyOf(new byte[32]);
    WrappedKey before = key.wrap(dataKey, CONTEXT);

    String v2 = fakes.kms().rotate(KEY);
    WrappedKey after = key.wrap(dataKey, CONTEXT);

    assertThat(before.version()).isEqualTo(KEY + "/cryptoKeyVersions/1");
    assertThat(after.version()).isEqualTo(v2).isEqualTo(KEY + "/cryptoKeyVersions/2");
    assertThat(key.canUnwrap(before)).isTrue();
    assertThat(key.unwrap(before, CONTEXT)).isEqualTo(dataKey);
    assertThat(key.unwrap(after, CONTEXT)).isEqualTo(dataKey);
  }

  @Test
  void unavailableAndResourceExhausted_areRetriedWithinTheDeadline() {
    fakes.faults().failNext("Encrypt", Status.Code.UNAVAILABLE, 2);
    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);
    assertThat(fakes.faults().calls("Encrypt")).isEqualTo(3);

    fakes.faults().failNext("Decrypt", Status.Code.RESOURCE_EXHAUSTED, 2);
    assertThat(key.unwrap(w, CONTEXT).toByteArray()).isEqualTo(new byte[32]);
    assertThat(fakes.faults().calls("Decrypt")).isEqualTo(3);
  }

  @Test
  void permanentUnavailability_failsRetryable_withinTheDeadline() {
    fakes.faults().failAlways("Encrypt", Status.Code.UNAVAILABLE);
    try (GcpKmsMasterKey quick = GcpKmsMasterKey.builder().keyName(KEY).endpoint(fakes.endpoint())
        .deadline(Duration.ofSeconds(1)).build()) {
      long start = System.nanoTime();

      assertThatThrownBy(() -> quick.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT))
          .isInstanceOfSatisfying(KmsException.class, e -> {
            assertThat(e.isRetryable()).isTrue();
            assertThat(e.getMessage()).contains("UNAVAILABLE").doesNotContain("acme-secret-tenant");
          });

      // gax stops early when the next backoff would overshoot the deadline, never late.
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1500));
      assertThat(fakes.faults().calls("Encrypt")).isBetween(3L, 30L);
    }
  }

  @Test
  void slowKms_failsRetryable_atTheDeadline() {
    fakes.faults().latency("Encrypt", Duration.ofMillis(1500));
    try (GcpKmsMasterKey quick = GcpKmsMasterKey.builder().keyName(KEY).endpoint(fakes.endpoint())
        .deadline(Duration.ofMillis(500)).build()) {
      long start = System.nanoTime();

      assertThatThrownBy(() -> quick.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT))
          .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isTrue());

      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1400));
    }
  }

  @Test
  void disabledVersion_isKeyUnavailable_forUnwrapAndWrap() {
    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);
    fakes.kms().setVersionEnabled(KEY + "/cryptoKeyVersions/1", false);

    assertThatThrownBy(() -> key.unwrap(w, CONTEXT)).isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("FAILED_PRECONDITION");
    assertThatThrownBy(() -> key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT))
        .isInstanceOf(KeyUnavailableException.class);
    assertThat(fakes.faults().calls("Decrypt")).isEqualTo(1);
  }

  @Test
  void missingKey_isKeyUnavailable() {
    try (GcpKmsMasterKey missing = GcpKmsMasterKey.builder().keyName(RING + "/cryptoKeys/missing")
        .endpoint(fakes.endpoint()).build()) {
      assertThatThrownBy(() -> missing.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT))
          .isInstanceOf(KeyUnavailableException.class).hasMessageContaining("NOT_FOUND");
    }
  }

  @Test
  void deniedPermission_isAccessDenied() {
    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);
    fakes.kms().deny(KEY, "*");

    assertThatThrownBy(() -> key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT)).isInstanceOf(AccessDeniedException.class);
    assertThatThrownBy(() -> key.unwrap(w, CONTEXT)).isInstanceOf(AccessDeniedException.class);
  }

  @Test
  void suppliedClient_isUsedWithTheKeysRetryPolicy_andLeftOpen() {
    try (KeyManagementServiceClient client = RealClients.kms(fakes)) {
      GcpKmsMasterKey withClient = GcpKmsMasterKey.builder().keyName(KEY).client(client).build();
      fakes.faults().failNext("Encrypt", Status.Code.RESOURCE_EXHAUSTED, 1);

      WrappedKey w = withClient.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);
      withClient.close();

      assertThat(fakes.faults().calls("Encrypt")).isEqualTo(2);
      assertThat(client.isShutdown()).isFalse();
      assertThat(key.unwrap(w, CONTEXT).toByteArray()).isEqualTo(new byte[32]);
    }
  }

  @Test
  void encryptAnsweringWithAnotherKeysVersion_isRejected() throws Exception {
    String name = InProcessServerBuilder.generateName();
    MethodDescriptor<EncryptRequest, EncryptResponse> encrypt = MethodDescriptor.<EncryptRequest, EncryptResponse>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("google.cloud.kms.v1.KeyManagementService/Encrypt")
        .setRequestMarshaller(ProtoUtils.marshaller(EncryptRequest.getDefaultInstance()))
        .setResponseMarshaller(ProtoUtils.marshaller(EncryptResponse.getDefaultInstance()))
        .build();
    byte[] ct = {1, 2, 3, 4};
    // A KMS that checks and answers everything correctly, but with another key's version.
    ServerServiceDefinition liar = ServerServiceDefinition.builder("google.cloud.kms.v1.KeyManagementService")
        .addMethod(encrypt, ServerCalls.asyncUnaryCall((req, obs) -> {
          obs.onNext(EncryptResponse.newBuilder().setName(KEY + "-evil/cryptoKeyVersions/1")
              .setCiphertext(ByteString.copyFrom(ct)).setCiphertextCrc32C(Int64Value.of(crc32c(ct)))
              .setVerifiedPlaintextCrc32C(true).setVerifiedAdditionalAuthenticatedDataCrc32C(true).build());
          obs.onCompleted();
        }))
        .build();
    Server server = InProcessServerBuilder.forName(name).directExecutor().addService(liar).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try (KeyManagementServiceClient client = KeyManagementServiceClient.create(KeyManagementServiceSettings.newBuilder()
        .setCredentialsProvider(NoCredentialsProvider.create())
        .setTransportChannelProvider(FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
        .build())) {
      GcpKmsMasterKey k = GcpKmsMasterKey.builder().keyName(KEY).client(client).build();

      assertThatThrownBy(() -> k.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT))
          .isInstanceOfSatisfying(KmsException.class, e -> {
            assertThat(e.isRetryable()).isFalse();
            assertThat(e.getMessage()).contains("another key");
          });
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }

  @Test
  void resolver_gcpKmsScheme_buildsAWorkingKey() {
    MasterKey resolved = MasterKeyResolver.resolveSpec("gcp-kms:" + KEY, Map.of("endpoint", fakes.endpoint()));
    try {
      assertThat(resolved).isInstanceOf(GcpKmsMasterKey.class);
      assertThat(resolved.ref()).isEqualTo(new KeyRef("gcp-kms", KEY));
      WrappedKey w = resolved.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);
      assertThat(key.unwrap(w, CONTEXT).toByteArray()).isEqualTo(new byte[32]);
    } finally {
      ((GcpKmsMasterKey) resolved).close();
    }
  }

  @Test
  void resolver_deadlineOption_endsSlowCallAtIt() {
    fakes.faults().latency("Encrypt", Duration.ofMillis(1500));
    MasterKey quick = MasterKeyResolver.resolveSpec("gcp-kms:" + KEY,
        Map.of("endpoint", fakes.endpoint(), "deadline", "500ms"));
    try {
      long start = System.nanoTime();

      assertThatThrownBy(() -> quick.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT))
          .isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isTrue());

      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1400));
    } finally {
      ((GcpKmsMasterKey) quick).close();
    }
    assertThatThrownBy(() -> MasterKeyResolver.resolveSpec("gcp-kms:" + KEY,
        Map.of("endpoint", fakes.endpoint(), "deadline", "0s")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gcp-kms.deadline");
  }

  @Test
  void resolver_unknownOptionOrBadName_isRejected() {
    assertThatThrownBy(() -> MasterKeyResolver.resolveSpec("gcp-kms:" + KEY, Map.of("region", "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("region");
    assertThatThrownBy(() -> MasterKeyResolver.resolveSpec("gcp-kms:not-a-key", Map.of("endpoint", fakes.endpoint())))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builder_validatesSettings() {
    assertThatThrownBy(() -> GcpKmsMasterKey.builder().build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> GcpKmsMasterKey.builder().keyName(KEY + "/cryptoKeyVersions/1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GcpKmsMasterKey.builder().keyName("projects/p/keyRings/r/cryptoKeys/k"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GcpKmsMasterKey.builder().endpoint("no-port")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GcpKmsMasterKey.builder().deadline(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> GcpKmsMasterKey.builder().deadline(Duration.ofHours(1))).isInstanceOf(IllegalArgumentException.class);
    try (KeyManagementServiceClient client = RealClients.kms(fakes)) {
      assertThatThrownBy(() -> GcpKmsMasterKey.builder().keyName(KEY).client(client).endpoint(fakes.endpoint()).build())
          .isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void toString_namesTheKeyOnly() {
    assertThat(key.toString()).isEqualTo("GcpKmsMasterKey[" + KEY + "]");
    assertThat(key.ref()).isEqualTo(new KeyRef(GcpKmsMasterKey.PROVIDER_ID, KEY));
  }

  @Test
  void fakeCiphertext_isOpaqueButBoundToTheFakeFormat() {
    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CONTEXT);

    assertThat(w.ciphertext()).hasSize(32 + FakeKms.CIPHERTEXT_OVERHEAD);
  }
}
