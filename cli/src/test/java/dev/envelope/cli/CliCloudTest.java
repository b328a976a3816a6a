package dev.envelope.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
  static final String GCP_KEY = "projects/p/locations/global/keyRings/r/cryptoKeys/cli";

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    gcp = GcpFakes.start();
    gcp.kms().createKey(GCP_KEY);
  }

  @AfterAll
  static void stop() {
    gcp.close();
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
