package dev.envelope.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.aws.AwsKmsMasterKey;
import dev.envelope.azure.AzureKeyVaultMasterKey;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.LocalMasterKey;
import dev.envelope.core.MasterKey;
import dev.envelope.core.WrappedKey;
import dev.envelope.gcp.GcpKmsMasterKey;
import dev.envelope.testkit.aws.AwsFake;
import dev.envelope.testkit.azure.AzureKeyVaultFake;
import dev.envelope.testkit.gcp.GcpFakes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * One ciphertext under AWS KMS, Google Cloud KMS, Azure Key Vault and a local key at once, through
 * the real cloud SDK clients talking to the testkit's protocol fakes: any one key alone decrypts.
 */
class CrossCloudEnvelopeTest {
  static AwsFake aws;
  static GcpFakes gcp;
  static AzureKeyVaultFake azure;
  static String awsArn;
  static final String GCP_KEY = "projects/p/locations/global/keyRings/r/cryptoKeys/cross";
  static final EncryptionContext CTX = EncryptionContext.of("tenant", "7", "purpose", "cross-cloud");

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    aws = AwsFake.start();
    awsArn = aws.createKey(aws.region());
    gcp = GcpFakes.start();
    gcp.kms().createKey(GCP_KEY);
    azure = AzureKeyVaultFake.start();
    azure.createKey("cross");
  }

  @AfterAll
  static void stop() {
    aws.close();
    gcp.close();
    azure.close();
  }

  static MasterKey awsKey() {
    return AwsKmsMasterKey.builder().keyId(awsArn).endpoint(aws.kmsEndpoint()).region(aws.region())
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build();
  }

  static MasterKey gcpKey() {
    return GcpKmsMasterKey.builder().keyName(GCP_KEY).endpoint(gcp.endpoint()).build();
  }

  static MasterKey azureKey() {
    return AzureKeyVaultMasterKey.builder().keyId(azure.keyId("cross")).sslContext(azure.sslContext()).build();
  }

  @Test
  void encrypt_fourMasterKeysAcrossThreeClouds_eachAloneDecrypts() {
    MasterKey local = LocalMasterKey.generate("cross");
    List<MasterKey> all = List.of(awsKey(), gcpKey(), azureKey(), local);
    byte[] plaintext = "one format across every cloud".getBytes(StandardCharsets.UTF_8);
    byte[] ciphertext;
    long generatesBefore = aws.calls().count("GenerateDataKey");
    try (Envelope env = Envelope.builder().masterKeys(all).build()) {
      ciphertext = env.encrypt(plaintext, CTX);
    }
    assertThat(Envelope.inspect(ciphertext).keys()).extracting(WrappedKey::provider)
        .containsExactly("aws-kms", "gcp-kms", "azure-kv", "local");
    assertThat(aws.calls().count("GenerateDataKey") - generatesBefore).isEqualTo(1);
    for (MasterKey alone : all) {
      try (Envelope env = Envelope.builder().masterKeys(alone).build()) {
        assertThat(env.decrypt(ciphertext, CTX)).as(alone.ref().toString()).isEqualTo(plaintext);
      }
    }
    long kmsCallsBefore = aws.calls().total() + gcp.faults().calls("Decrypt") + azure.faults().calls("unwrapKey");
    try (Envelope unrelated = Envelope.builder().masterKeys(LocalMasterKey.generate("unrelated")).build()) {
      assertThatThrownBy(() -> unrelated.decrypt(ciphertext, CTX)).isExactlyInstanceOf(KeyUnavailableException.class)
          .hasMessageContaining("aws-kms:").hasMessageContaining("gcp-kms:").hasMessageContaining("azure-kv:");
    }
    assertThat(aws.calls().total() + gcp.faults().calls("Decrypt") + azure.faults().calls("unwrapKey"))
        .isEqualTo(kmsCallsBefore);
  }

  @Test
  void cli_awsGcpAzureAndLocal_eachAloneDecrypts() throws Exception {
    System.setProperty("aws.accessKeyId", "test");
    System.setProperty("aws.secretAccessKey", "test");
    Path kf = dir.resolve("k.keys");
    assertThat(CliTest.run("keys", "create", "--keyfile", kf.toString(), "--name", "backup").code()).isZero();
    Path pem = azure.writeCertificatePem(dir.resolve("vault.pem"));
    String[] options = {"--endpoint", "aws-kms=" + aws.kmsEndpoint(), "--key-option", "aws-kms.region=" + aws.region(),
        "--endpoint", "gcp-kms=" + gcp.endpoint(), "--key-option", "azure-kv.trust=" + pem};
    String[] keys = {"aws-kms:" + awsArn, "gcp-kms:" + GCP_KEY, "azure-kv:" + azure.keyId("cross"), "local:" + kf + "#backup"};
    Path in = Files.writeString(dir.resolve("m.txt"), "four keys, one file");
    Path enc = dir.resolve("m.env");
    CliTest.Result e = CliTest.run(CliCloudTest.concat(new String[] {"encrypt", "--key", keys[0], "--key", keys[1],
        "--key", keys[2], "--key", keys[3], "--context", "app=cli", "--in", in.toString(), "--out", enc.toString()}, options));
    assertThat(e.code()).as(e.err()).isZero();
    assertThat(CliTest.run("inspect", "--in", enc.toString()).out()).contains("aws-kms:" + awsArn);
    for (String alone : keys) {
      Path out = dir.resolve("out-" + alone.substring(0, 5) + ".txt");
      CliTest.Result d = CliTest.run(CliCloudTest.concat(new String[] {"decrypt", "--key", alone, "--context", "app=cli",
          "--in", enc.toString(), "--out", out.toString()}, options));
      assertThat(d.code()).as(alone + ": " + d.err()).isZero();
      assertThat(Files.readString(out)).isEqualTo("four keys, one file");
    }
    Path wrongOut = dir.resolve("wrong.txt");
    CliTest.Result wrong = CliTest.run(CliCloudTest.concat(new String[] {"decrypt", "--key", keys[0], "--context", "app=other",
        "--in", enc.toString(), "--out", wrongOut.toString()}, options));
    assertThat(wrong.code()).isEqualTo(1);
    assertThat(wrongOut).doesNotExist();
  }
}
