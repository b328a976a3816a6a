package dev.envelope.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.envelope.testkit.azure.AzureKeyVaultFake;
import dev.envelope.testkit.gcp.GcpFakes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against the testkit's protocol fakes, with the real cloud clients. */
class CliCloudTest {
  static GcpFakes gcp;
  static AzureKeyVaultFake azure;
  static final String GCP_KEY = "projects/p/locations/global/keyRings/r/cryptoKeys/cli";

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    gcp = GcpFakes.start();
    gcp.kms().createKey(GCP_KEY);
    azure = AzureKeyVaultFake.start();
    azure.createKey("cli");
  }

  @AfterAll
  static void stop() {
    gcp.close();
    azure.close();
  }

  @Test
  void encrypt_gcpAzureAndLocal_eachAloneDecrypts() throws Exception {
    Path kf = dir.resolve("k.keys");
    assertThat(CliTest.run("keys", "create", "--keyfile", kf.toString(), "--name", "backup").code()).isZero();
    Path pem = azure.writeCertificatePem(dir.resolve("vault.pem"));
    String gcpKey = "gcp-kms:" + GCP_KEY;
    String azureKey = "azure-kv:" + azure.keyId("cli");
    String localKey = "local:" + kf + "#backup";
    String[] endpoints = {"--endpoint", "gcp-kms=" + gcp.endpoint(), "--key-option", "azure-kv.trust=" + pem};
    Path in = Files.writeString(dir.resolve("m.txt"), "one ciphertext, three keys");
    Path enc = dir.resolve("m.env");
    CliTest.Result e = CliTest.run(concat(new String[] {"encrypt", "--key", gcpKey, "--key", azureKey, "--key", localKey,
        "--context", "app=cli", "--in", in.toString(), "--out", enc.toString()}, endpoints));
    assertThat(e.code()).as(e.err()).isZero();
    CliTest.Result info = CliTest.run("inspect", "--in", enc.toString());
    assertThat(info.out()).contains("gcp-kms:").contains("azure-kv:").contains("local:backup");
    for (String alone : new String[] {gcpKey, azureKey, localKey}) {
      Path out = dir.resolve("out-" + alone.substring(0, 5) + ".txt");
      CliTest.Result d = CliTest.run(concat(new String[] {"decrypt", "--key", alone, "--context", "app=cli",
          "--in", enc.toString(), "--out", out.toString()}, endpoints));
      assertThat(d.code()).as(alone + ": " + d.err()).isZero();
      assertThat(Files.readString(out)).isEqualTo("one ciphertext, three keys");
    }
  }

  static String[] concat(String[] a, String[] b) {
    String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  @Test
  void encrypt_gcpAndLocalKeys_eitherAloneDecrypts() throws Exception {
    Path kf = dir.resolve("k.keys");
    assertThat(CliTest.run("keys", "create", "--keyfile", kf.toString(), "--name", "backup").code()).isZero();
    Path in = Files.writeString(dir.resolve("m.txt"), "multi-cloud");
    Path enc = dir.resolve("m.env");
    String endpoint = "gcp-kms=" + gcp.endpoint();
    CliTest.Result e = CliTest.run("encrypt", "--key", "gcp-kms:" + GCP_KEY, "--key", "local:" + kf + "#backup",
        "--endpoint", endpoint, "--context", "tenant=9", "--in", in.toString(), "--out", enc.toString());
    assertThat(e.code()).as(e.err()).isZero();
    assertThat(gcp.faults().calls("Encrypt")).isEqualTo(1);

    CliTest.Result info = CliTest.run("inspect", "--in", enc.toString());
    assertThat(info.out()).contains("gcp-kms:" + GCP_KEY).contains(GCP_KEY + "/cryptoKeyVersions/1").contains("local:backup");

    Path viaGcp = dir.resolve("gcp.txt");
    CliTest.Result d1 = CliTest.run("decrypt", "--key", "gcp-kms:" + GCP_KEY, "--endpoint", endpoint,
        "--context", "tenant=9", "--in", enc.toString(), "--out", viaGcp.toString());
    assertThat(d1.code()).as(d1.err()).isZero();
    assertThat(Files.readString(viaGcp)).isEqualTo("multi-cloud");

    long decryptsBefore = gcp.faults().calls("Decrypt");
    Path viaLocal = dir.resolve("local.txt");
    CliTest.Result d2 = CliTest.run("decrypt", "--key", "local:" + kf + "#backup", "--context", "tenant=9",
        "--in", enc.toString(), "--out", viaLocal.toString());
    assertThat(d2.code()).as(d2.err()).isZero();
    assertThat(Files.readString(viaLocal)).isEqualTo("multi-cloud");
    assertThat(gcp.faults().calls("Decrypt")).isEqualTo(decryptsBefore);
  }
}
