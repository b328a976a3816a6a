package dev.envelope.testkit.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.testkit.FaultInjector;
import dev.envelope.testkit.MutableClock;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DryRunOperationException;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.GetKeyRotationStatusResponse;
import software.amazon.awssdk.services.kms.model.InvalidAliasNameException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.KeySpec;
import software.amazon.awssdk.services.kms.model.KmsException;
import software.amazon.awssdk.services.kms.model.KmsInternalException;
import software.amazon.awssdk.services.kms.model.LimitExceededException;
import software.amazon.awssdk.services.kms.model.NotFoundException;
import software.amazon.awssdk.services.kms.model.RotationType;
import software.amazon.awssdk.services.kms.model.RotationsListEntry;
import software.amazon.awssdk.services.kms.model.UnsupportedOperationException;

/** The KMS half of {@link AwsFake}, through the real SDK client, plus what only a fake can do. */
class AwsFakeKmsTest extends KmsContract {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final AwsFake fake = AwsFake.builder().region(REGION).clock(clock).start();
  private final Map<String, KmsClient> clients = new ConcurrentHashMap<>();

  @Override
  KmsClient kms(String region) {
    return clients.computeIfAbsent(region, r -> TestClients.kms(fake.endpoint(), r, 3));
  }

  @AfterEach
  void close() {
    clients.values().forEach(KmsClient::close);
    fake.close();
  }

  @Test
  void generateDataKey_answersCurrentKeyMaterialId_changedByRotation() {
    String arn = createKey();
    String material = kms().describeKey(b -> b.keyId(arn)).keyMetadata().currentKeyMaterialId();
    GenerateDataKeyResponse before = kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32));
    assertThat(before.keyMaterialId()).isEqualTo(material).hasSize(64);

    kms().rotateKeyOnDemand(b -> b.keyId(arn));

    GenerateDataKeyResponse after = kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32));
    assertThat(after.keyMaterialId()).isNotEqualTo(material);
    assertThat(kms().decrypt(b -> b.keyId(arn).ciphertextBlob(before.ciphertextBlob())).keyMaterialId())
        .isEqualTo(material);
    List<RotationsListEntry> rotations = kms().listKeyRotations(b -> b.keyId(arn)).rotations();
    assertThat(rotations).singleElement().satisfies(r -> {
      assertThat(r.rotationType()).isEqualTo(RotationType.ON_DEMAND);
      assertThat(r.keyMaterialId()).isEqualTo(after.keyMaterialId());
    });
  }

  @Test
  void enableKeyRotation_clockPassesPeriod_rotatesAndOldCiphertextDecrypts() {
    String arn = createKey();
    SdkBytes blob = kms().encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("v1"))
        .encryptionContext(CONTEXT)).ciphertextBlob();
    kms().enableKeyRotation(b -> b.keyId(arn).rotationPeriodInDays(90));
    GetKeyRotationStatusResponse status = kms().getKeyRotationStatus(b -> b.keyId(arn));
    assertThat(status.keyRotationEnabled()).isTrue();
    assertThat(status.nextRotationDate()).isEqualTo(clock.instant().plus(Duration.ofDays(90)));

    clock.advance(Duration.ofDays(181));

    assertThat(kms().listKeyRotations(b -> b.keyId(arn)).rotations())
        .extracting(RotationsListEntry::rotationType).containsExactly(RotationType.AUTOMATIC, RotationType.AUTOMATIC);
    assertThat(kms().decrypt(b -> b.keyId(arn).ciphertextBlob(blob).encryptionContext(CONTEXT)).plaintext()
        .asUtf8String()).isEqualTo("v1");
  }

  @Test
  void rotateKeyOnDemand_eleventhTime_limitExceeded() {
    String arn = createKey();
    for (int i = 0; i < 10; i++) {
      kms().rotateKeyOnDemand(b -> b.keyId(arn));
    }
    assertThatThrownBy(() -> kms().rotateKeyOnDemand(b -> b.keyId(arn))).isInstanceOf(LimitExceededException.class);
  }

  @Test
  void scheduleKeyDeletion_windowPassed_keyIsGone() {
    String arn = createKey();
    kms().scheduleKeyDeletion(b -> b.keyId(arn).pendingWindowInDays(7));

    clock.advance(Duration.ofDays(7));

    assertThatThrownBy(() -> kms().describeKey(b -> b.keyId(arn))).isInstanceOf(NotFoundException.class);
  }

  @Test
  void multiRegionKey_rotationOfPrimary_reachesReplica_replicaCannotRotate() {
    String primary = fake.createMultiRegionKey(REGION);
    String replica = fake.replicateKey(primary, OTHER_REGION);
    kms().rotateKeyOnDemand(b -> b.keyId(primary));
    GenerateDataKeyResponse dk = kms().generateDataKey(b -> b.keyId(primary).numberOfBytes(32));

    assertThat(kms(OTHER_REGION).decrypt(b -> b.keyId(replica).ciphertextBlob(dk.ciphertextBlob())).plaintext())
        .isEqualTo(dk.plaintext());
    assertThatThrownBy(() -> kms(OTHER_REGION).rotateKeyOnDemand(b -> b.keyId(replica)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void replicateKey_singleRegionKey_unsupported() {
    String arn = createKey();
    assertThatThrownBy(() -> kms().replicateKey(b -> b.keyId(arn).replicaRegion(OTHER_REGION)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void decrypt_singleRegionCiphertextInAnotherRegion_invalidCiphertext() {
    String arn = createKey();
    SdkBytes blob = kms().encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("x"))).ciphertextBlob();

    assertThatThrownBy(() -> kms(OTHER_REGION).decrypt(b -> b.ciphertextBlob(blob)))
        .isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void createKey_asymmetricSpec_unsupported() {
    assertThatThrownBy(() -> kms().createKey(b -> b.keySpec(KeySpec.RSA_2048)))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void createAlias_reservedOrMalformedName_invalidAliasName() {
    String arn = createKey();
    for (String name : new String[] {"alias/aws/s3", "noprefix", "alias/bad name"}) {
      assertThatThrownBy(() -> kms().createAlias(b -> b.aliasName(name).targetKeyId(arn)))
          .isInstanceOf(InvalidAliasNameException.class);
    }
  }

  @Test
  void updateAlias_retargets_deleteAliasRemoves() {
    String first = createKey();
    String second = createKey();
    kms().createAlias(b -> b.aliasName("alias/moving").targetKeyId(first));

    kms().updateAlias(b -> b.aliasName("alias/moving").targetKeyId(second));

    assertThat(kms().generateDataKey(b -> b.keyId("alias/moving").numberOfBytes(16)).keyId()).isEqualTo(second);
    assertThat(kms().listAliases(b -> b.keyId(second)).aliases()).singleElement()
        .satisfies(a -> assertThat(a.aliasArn()).endsWith(":alias/moving"));
    kms().deleteAlias(b -> b.aliasName("alias/moving"));
    assertThatThrownBy(() -> kms().describeKey(b -> b.keyId("alias/moving"))).isInstanceOf(NotFoundException.class);
  }

  @Test
  void generateDataKey_neitherLengthNorSpec_validationError() {
    String arn = createKey();
    assertThatThrownBy(() -> kms().generateDataKey(b -> b.keyId(arn)))
        .isInstanceOfSatisfying(KmsException.class, e -> {
          assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException");
          assertThat(e.statusCode()).isEqualTo(400);
        });
  }

  @Test
  void encrypt_plaintextOver4096Bytes_validationError() {
    String arn = createKey();
    assertThatThrownBy(() -> kms().encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromByteArray(new byte[4097]))))
        .isInstanceOfSatisfying(KmsException.class,
            e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo("ValidationException"));
  }

  @Test
  void generateDataKey_dryRun_dryRunOperationException() {
    String arn = createKey();
    assertThatThrownBy(() -> kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32).dryRun(true)))
        .isInstanceOf(DryRunOperationException.class);
  }

  @Test
  void throttle_twice_sdkRetriesAndSucceeds() {
    String arn = createKey();
    fake.faults().throttle("GenerateDataKey", 2);

    GenerateDataKeyResponse dk = kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32));

    assertThat(dk.keyId()).isEqualTo(arn);
    assertThat(fake.calls().count("GenerateDataKey")).isEqualTo(3);
    assertThat(fake.calls().failures("GenerateDataKey")).isEqualTo(2);
  }

  @Test
  void serverError_always_sdkGivesUpWithStatus500AfterMaxAttempts() {
    String arn = createKey();
    fake.faults().serverError("Decrypt", FaultInjector.ALWAYS);

    assertThatThrownBy(() -> kms().decrypt(b -> b.keyId(arn).ciphertextBlob(SdkBytes.fromUtf8String("x"))))
        .isInstanceOfSatisfying(KmsInternalException.class, e -> assertThat(e.statusCode()).isEqualTo(500));
    assertThat(fake.calls().count("Decrypt")).isEqualTo(3);
  }

  @Test
  void error_accessDenied_reachesClientWithItsCode() {
    String arn = createKey();
    fake.faults().error("GenerateDataKey", "AccessDeniedException", 1);

    assertThatThrownBy(() -> kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32)))
        .isInstanceOfSatisfying(KmsException.class, e -> {
          assertThat(e.awsErrorDetails().errorCode()).isEqualTo("AccessDeniedException");
          assertThat(e.statusCode()).isEqualTo(400);
        });
  }

  @Test
  void timeout_once_attemptTimesOutAndSdkRetrySucceeds() {
    String arn = createKey();
    fake.faults().timeout("GenerateDataKey", 1);
    long start = System.nanoTime();

    GenerateDataKeyResponse dk = kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32)
        .overrideConfiguration(o -> o.apiCallAttemptTimeout(Duration.ofMillis(300))));

    assertThat(dk.keyId()).isEqualTo(arn);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(300), Duration.ofSeconds(5));
    assertThat(fake.calls().count("GenerateDataKey")).isEqualTo(2);
    fake.faults().clear();
  }

  @Test
  void timeout_singleAttempt_apiCallAttemptTimeout() {
    String arn = createKey();
    fake.faults().timeout("Encrypt", FaultInjector.ALWAYS);
    try (KmsClient once = TestClients.kms(fake.endpoint(), REGION, 1)) {
      assertThatThrownBy(() -> once.encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("x"))
          .overrideConfiguration(o -> o.apiCallAttemptTimeout(Duration.ofMillis(200)))))
          .isInstanceOf(ApiCallAttemptTimeoutException.class);
    } finally {
      fake.faults().clear();
    }
  }

  @Test
  void latency_delaysAnswer() {
    String arn = createKey();
    fake.faults().latency("Encrypt", Duration.ofMillis(150));
    long start = System.nanoTime();

    kms().encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("x")));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
  }

  @Test
  void requests_recordOperationRegionAndNamedKey_butNoPayload() {
    String arn = createKey();
    fake.resetRequests();
    SdkBytes blob = kms().encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("secret"))).ciphertextBlob();
    kms().decrypt(b -> b.ciphertextBlob(blob));

    assertThat(fake.requests()).containsExactly(new AwsFake.Request("kms", "Encrypt", REGION, arn),
        new AwsFake.Request("kms", "Decrypt", REGION, null));
    assertThat(fake.calls().snapshot()).isEqualTo(Map.of("Encrypt", 1L, "Decrypt", 1L));
  }

  @Test
  void directHelpers_workWithoutHttpAndAreNotCounted() {
    String arn = fake.createKey(REGION);
    String aliasArn = fake.createAlias("alias/direct", arn);
    fake.rotateKey(arn);
    fake.disableKey(arn);
    fake.enableKey(arn);

    assertThat(aliasArn).isEqualTo("arn:aws:kms:" + REGION + ":" + AwsFake.DEFAULT_ACCOUNT + ":alias/direct");
    assertThat(kms().generateDataKey(b -> b.keyId("alias/direct").numberOfBytes(32)).keyId()).isEqualTo(arn);
    assertThat(kms().listKeyRotations(b -> b.keyId(arn)).rotations()).hasSize(1);
    assertThat(fake.calls().count("CreateKey")).isZero();
    assertThatThrownBy(() -> fake.createAlias("alias/direct", arn)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("AlreadyExistsException");
  }

  @Test
  void http_unknownTargetGetAndMalformedJson_answerProtocolErrors() throws Exception {
    Raw unknown = raw("POST", "TrentService.Nope", "{}");
    assertThat(unknown.status).isEqualTo(400);
    assertThat(unknown.body).contains("\"__type\":\"UnknownOperationException\"");
    assertThat(unknown.contentType).isEqualTo("application/x-amz-json-1.1");

    assertThat(raw("GET", null, null).status).isEqualTo(400);

    Raw malformed = raw("POST", "TrentService.ListKeys", "{not json");
    assertThat(malformed.status).isEqualTo(400);
    assertThat(malformed.body).contains("SerializationException");

    Raw unsigned = raw("POST", "TrentService.ListKeys", "{}");
    assertThat(unsigned.status).isEqualTo(200);
    assertThat(unsigned.body).contains("\"Keys\":[]");
  }

  private record Raw(int status, String contentType, String body) {}

  /** A request without the SDK: no signature, so the fake's default region applies. */
  private Raw raw(String method, String target, String body) throws IOException {
    HttpURLConnection c = (HttpURLConnection) fake.endpoint().toURL().openConnection();
    c.setRequestMethod(method);
    if (target != null) {
      c.setRequestProperty("X-Amz-Target", target);
      c.setRequestProperty("Content-Type", "application/x-amz-json-1.1");
    }
    if (body != null) {
      c.setDoOutput(true);
      try (OutputStream out = c.getOutputStream()) {
        out.write(body.getBytes(StandardCharsets.UTF_8));
      }
    }
    int status = c.getResponseCode();
    try (InputStream in = status < 400 ? c.getInputStream() : c.getErrorStream()) {
      return new Raw(status, c.getContentType(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } finally {
      c.disconnect();
    }
  }
}
