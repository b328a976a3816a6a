package dev.envelope.testkit.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.AlreadyExistsException;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.DisabledException;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.IncorrectKeyException;
import software.amazon.awssdk.services.kms.model.InvalidCiphertextException;
import software.amazon.awssdk.services.kms.model.KeyMetadata;
import software.amazon.awssdk.services.kms.model.KeyState;
import software.amazon.awssdk.services.kms.model.KmsInvalidStateException;
import software.amazon.awssdk.services.kms.model.MultiRegionKeyType;
import software.amazon.awssdk.services.kms.model.NotFoundException;
import software.amazon.awssdk.services.kms.model.ReEncryptResponse;

/**
 * What the KMS fake shares with real KMS, checked through the real {@link KmsClient}. Runs
 * against the fake ({@link AwsFakeKmsTest}) and against LocalStack where Docker exists.
 */
abstract class KmsContract {
  static final String REGION = "us-east-1";
  static final String OTHER_REGION = "us-west-2";
  static final Map<String, String> CONTEXT = Map.of("tenant", "42", "purpose", "invoice");

  /** A client for {@code region}. */
  abstract KmsClient kms(String region);

  KmsClient kms() {
    return kms(REGION);
  }

  String createKey() {
    return kms().createKey(b -> b.description("contract")).keyMetadata().arn();
  }

  @Test
  void generateDataKey_withContext_decryptsWithSameContextAndAnswersKeyArn() {
    String arn = createKey();
    GenerateDataKeyResponse dk = kms().generateDataKey(b -> b.keyId(arn).keySpec(DataKeySpec.AES_256)
        .encryptionContext(CONTEXT));

    assertThat(dk.keyId()).isEqualTo(arn);
    assertThat(dk.plaintext().asByteArray()).hasSize(32);
    DecryptResponse back = kms().decrypt(b -> b.keyId(arn).ciphertextBlob(dk.ciphertextBlob())
        .encryptionContext(Map.of("purpose", "invoice", "tenant", "42")));
    assertThat(back.keyId()).isEqualTo(arn);
    assertThat(back.plaintext().asByteArray()).isEqualTo(dk.plaintext().asByteArray());
  }

  @Test
  void decrypt_otherContext_invalidCiphertext() {
    String arn = createKey();
    SdkBytes blob = kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32).encryptionContext(CONTEXT))
        .ciphertextBlob();

    for (Map<String, String> wrong : java.util.List.of(Map.of("tenant", "43", "purpose", "invoice"),
        Map.of("tenant", "42"), Map.<String, String>of(), Map.of("tenant", "42", "purpose", "invoice", "x", "y"))) {
      assertThatThrownBy(() -> kms().decrypt(b -> b.keyId(arn).ciphertextBlob(blob).encryptionContext(wrong)))
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void decrypt_alteredCiphertext_invalidCiphertext() {
    String arn = createKey();
    byte[] blob = kms().encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("hello"))).ciphertextBlob()
        .asByteArray();
    blob[blob.length - 5] ^= 1;

    assertThatThrownBy(() -> kms().decrypt(b -> b.keyId(arn).ciphertextBlob(SdkBytes.fromByteArray(blob))))
        .isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void decrypt_keyIdOfAnotherKey_incorrectKey() {
    String arn = createKey();
    String other = createKey();
    SdkBytes blob = kms().encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("hello"))).ciphertextBlob();

    assertThatThrownBy(() -> kms().decrypt(b -> b.keyId(other).ciphertextBlob(blob)))
        .isInstanceOf(IncorrectKeyException.class);
  }

  @Test
  void encrypt_thenUnscopedDecrypt_findsKeyFromCiphertext() {
    String arn = createKey();
    SdkBytes blob = kms().encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("hello"))
        .encryptionContext(CONTEXT)).ciphertextBlob();

    DecryptResponse back = kms().decrypt(b -> b.ciphertextBlob(blob).encryptionContext(CONTEXT));

    assertThat(back.keyId()).isEqualTo(arn);
    assertThat(back.plaintext().asString(StandardCharsets.UTF_8)).isEqualTo("hello");
  }

  @Test
  void generateDataKey_byAliasNameAliasArnAndKeyId_answersKeyArn() {
    KeyMetadata key = kms().createKey(b -> b.description("alias target")).keyMetadata();
    String alias = "alias/contract-" + UUID.randomUUID();
    kms().createAlias(b -> b.aliasName(alias).targetKeyId(key.keyId()));
    String aliasArn = key.arn().substring(0, key.arn().indexOf(":key/")) + ":" + alias;

    for (String id : new String[] {alias, aliasArn, key.keyId(), key.arn()}) {
      assertThat(kms().generateDataKey(b -> b.keyId(id).keySpec(DataKeySpec.AES_256)).keyId()).isEqualTo(key.arn());
    }
    assertThat(kms().describeKey(b -> b.keyId(alias)).keyMetadata().arn()).isEqualTo(key.arn());
  }

  @Test
  void createAlias_existingName_alreadyExists() {
    String arn = createKey();
    String alias = "alias/dup-" + UUID.randomUUID();
    kms().createAlias(b -> b.aliasName(alias).targetKeyId(arn));

    assertThatThrownBy(() -> kms().createAlias(b -> b.aliasName(alias).targetKeyId(arn)))
        .isInstanceOf(AlreadyExistsException.class);
  }

  @Test
  void describeKey_unknownKeyOrAlias_notFound() {
    assertThatThrownBy(() -> kms().describeKey(b -> b.keyId(UUID.randomUUID().toString())))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> kms().describeKey(b -> b.keyId("alias/none-" + UUID.randomUUID())))
        .isInstanceOf(NotFoundException.class);
  }

  @Test
  void describeKey_keyOfAnotherRegion_notFound() {
    String arn = createKey();
    String keyId = arn.substring(arn.indexOf(":key/") + 5);

    assertThatThrownBy(() -> kms(OTHER_REGION).describeKey(b -> b.keyId(keyId))).isInstanceOf(NotFoundException.class);
  }

  @Test
  void reEncrypt_toOtherKeyAndContext_decryptsOnlyUnderDestination() {
    String source = createKey();
    String destination = createKey();
    GenerateDataKeyResponse dk = kms().generateDataKey(b -> b.keyId(source).numberOfBytes(32)
        .encryptionContext(CONTEXT));
    Map<String, String> newContext = Map.of("tenant", "42", "purpose", "archive");

    ReEncryptResponse re = kms().reEncrypt(b -> b.ciphertextBlob(dk.ciphertextBlob()).sourceKeyId(source)
        .sourceEncryptionContext(CONTEXT).destinationKeyId(destination).destinationEncryptionContext(newContext));

    assertThat(re.sourceKeyId()).isEqualTo(source);
    assertThat(re.keyId()).isEqualTo(destination);
    DecryptResponse back = kms().decrypt(b -> b.keyId(destination).ciphertextBlob(re.ciphertextBlob())
        .encryptionContext(newContext));
    assertThat(back.plaintext()).isEqualTo(dk.plaintext());
    assertThatThrownBy(() -> kms().decrypt(b -> b.keyId(destination).ciphertextBlob(re.ciphertextBlob())
        .encryptionContext(CONTEXT))).isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void rotateKeyOnDemand_oldCiphertextStillDecrypts() {
    String arn = createKey();
    GenerateDataKeyResponse before = kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32)
        .encryptionContext(CONTEXT));

    kms().rotateKeyOnDemand(b -> b.keyId(arn));
    GenerateDataKeyResponse after = kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32)
        .encryptionContext(CONTEXT));

    for (GenerateDataKeyResponse dk : new GenerateDataKeyResponse[] {before, after}) {
      assertThat(kms().decrypt(b -> b.keyId(arn).ciphertextBlob(dk.ciphertextBlob()).encryptionContext(CONTEXT))
          .plaintext()).isEqualTo(dk.plaintext());
    }
  }

  @Test
  void disableKey_useFailsDisabled_enableKeyRestores() {
    String arn = createKey();
    SdkBytes blob = kms().encrypt(b -> b.keyId(arn).plaintext(SdkBytes.fromUtf8String("x"))).ciphertextBlob();

    kms().disableKey(b -> b.keyId(arn));

    assertThat(kms().describeKey(b -> b.keyId(arn)).keyMetadata().keyState()).isEqualTo(KeyState.DISABLED);
    assertThatThrownBy(() -> kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32)))
        .isInstanceOf(DisabledException.class);
    assertThatThrownBy(() -> kms().decrypt(b -> b.keyId(arn).ciphertextBlob(blob)))
        .isInstanceOf(DisabledException.class);
    kms().enableKey(b -> b.keyId(arn));
    assertThat(kms().decrypt(b -> b.keyId(arn).ciphertextBlob(blob)).plaintext().asUtf8String()).isEqualTo("x");
  }

  @Test
  void scheduleKeyDeletion_useFailsInvalidState_cancelLeavesKeyDisabled() {
    String arn = createKey();
    kms().scheduleKeyDeletion(b -> b.keyId(arn).pendingWindowInDays(7));

    assertThat(kms().describeKey(b -> b.keyId(arn)).keyMetadata().keyState()).isEqualTo(KeyState.PENDING_DELETION);
    assertThatThrownBy(() -> kms().generateDataKey(b -> b.keyId(arn).numberOfBytes(32)))
        .isInstanceOf(KmsInvalidStateException.class);

    kms().cancelKeyDeletion(b -> b.keyId(arn));
    assertThat(kms().describeKey(b -> b.keyId(arn)).keyMetadata().keyState()).isEqualTo(KeyState.DISABLED);
  }

  @Test
  void multiRegionKey_replicaDecryptsPrimaryCiphertextAndAnswersReplicaArn() {
    KeyMetadata primary = kms().createKey(b -> b.multiRegion(true)).keyMetadata();
    assertThat(primary.keyId()).startsWith("mrk-");
    KeyMetadata replica = kms().replicateKey(b -> b.keyId(primary.arn()).replicaRegion(OTHER_REGION))
        .replicaKeyMetadata();
    assertThat(replica.arn()).isEqualTo(primary.arn().replace(":" + REGION + ":", ":" + OTHER_REGION + ":"));
    GenerateDataKeyResponse dk = kms().generateDataKey(b -> b.keyId(primary.arn()).numberOfBytes(32)
        .encryptionContext(CONTEXT));

    DecryptResponse back = kms(OTHER_REGION).decrypt(b -> b.keyId(replica.arn()).ciphertextBlob(dk.ciphertextBlob())
        .encryptionContext(CONTEXT));

    assertThat(back.keyId()).isEqualTo(replica.arn());
    assertThat(back.plaintext()).isEqualTo(dk.plaintext());
    KeyMetadata described = kms(OTHER_REGION).describeKey(b -> b.keyId(replica.arn())).keyMetadata();
    assertThat(described.multiRegionConfiguration().multiRegionKeyType()).isEqualTo(MultiRegionKeyType.REPLICA);
    assertThat(described.multiRegionConfiguration().primaryKey().arn()).isEqualTo(primary.arn());
  }
}
