package dev.envelope.cli;

import static dev.envelope.cli.CliTest.run;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.envelope.testkit.gcp.FakeSecretManager;
import dev.envelope.testkit.gcp.GcpFakes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code envelope secrets}: env and dir stores, and gcp-sm against the Secret Manager fake with the real client. */
class CliSecretsTest {
  private static final String PROJECT = "projects/cli-test";
  private static final String DB = PROJECT + "/secrets/orders-db";
  private static final String DB_V1 = "{\"username\":\"app\",\"password\":\"s3cr3t-one\"}";
  private static final String DB_V2 = "{\"username\":\"app\",\"password\":\"s3cr3t-two\"}";

  static GcpFakes gcp;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    gcp = GcpFakes.start();
    gcp.secretManager().createSecret(DB);
    gcp.secretManager().addVersion(DB, DB_V1.getBytes(UTF_8));
    gcp.secretManager().addVersion(DB, DB_V2.getBytes(UTF_8));
  }

  @AfterAll
  static void stop() {
    gcp.close();
  }

  private static String[] gcpArgs(String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--store";
    all[args.length + 1] = "gcp-sm:cli-test";
    all[args.length + 2] = "--endpoint";
    all[args.length + 3] = "gcp-sm=" + gcp.endpoint();
    return all;
  }

  @Test
  void get_envStore_metadataByDefault_valueOnlyWithReveal() {
    String path = System.getenv("PATH");
    org.junit.jupiter.api.Assumptions.assumeTrue(path != null && path.length() > 8, "PATH is set");

    CliTest.Result meta = run("secrets", "get", "PATH");
    assertThat(meta.code()).as(meta.err()).isZero();
    assertThat(meta.out()).contains("name     PATH").contains("store    env").contains("version  environment")
        .contains("length   " + path.getBytes(UTF_8).length + " bytes").doesNotContain(path);

    CliTest.Result reveal = run("secrets", "get", "PATH", "--store", "env", "--reveal");
    assertThat(reveal.code()).as(reveal.err()).isZero();
    assertThat(reveal.stdout()).isEqualTo(path.getBytes(UTF_8));
  }

  @Test
  void get_envStore_unsetVariable_exit3() {
    CliTest.Result r = run("secrets", "get", "ENVELOPE_SURELY_UNSET_4711", "--store", "env");
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("ENVELOPE_SURELY_UNSET_4711");
  }

  @Test
  void get_dirStore_metadataJsonAndExactBytes() throws Exception {
    Files.createDirectories(dir.resolve("prod"));
    Files.writeString(dir.resolve("prod/db"), DB_V1 + "\n");
    String store = "dir:" + dir;

    CliTest.Result meta = run("secrets", "get", "prod/db", "--store", store);
    assertThat(meta.code()).as(meta.err()).isZero();
    assertThat(meta.out()).contains("name     prod/db").contains("length   " + (DB_V1.length() + 1) + " bytes")
        .doesNotContain("s3cr3t");

    CliTest.Result json = run("secrets", "get", "prod/db", "--store", store, "--json");
    assertThat(json.code()).isZero();
    JsonNode m = new ObjectMapper().readTree(json.out());
    assertThat(m.get("name").asText()).isEqualTo("prod/db");
    assertThat(m.get("length").asInt()).isEqualTo(DB_V1.length() + 1);
    assertThat(m.has("value")).isFalse();
    assertThat(json.out()).doesNotContain("s3cr3t");

    CliTest.Result revealJson = run("secrets", "get", "prod/db", "--store", store, "--json", "--reveal");
    assertThat(new ObjectMapper().readTree(revealJson.out()).get("value").asText()).isEqualTo(DB_V1 + "\n");

    CliTest.Result reveal = run("secrets", "get", "prod/db", "--store", store, "--reveal");
    assertThat(reveal.stdout()).isEqualTo((DB_V1 + "\n").getBytes(UTF_8));

    String versionId = m.get("version").asText();
    assertThat(run("secrets", "get", "prod/db", "--store", store, "--version", versionId).code()).isZero();
    assertThat(run("secrets", "get", "prod/db", "--store", store, "--pending").code()).isEqualTo(3);
    assertThat(run("secrets", "get", "prod/other", "--store", store).code()).isEqualTo(3);
    assertThat(run("secrets", "get", "../escape", "--store", store).code()).isEqualTo(2);

    CliTest.Result versions = run("secrets", "versions", "prod/db", "--store", store);
    assertThat(versions.code()).isZero();
    assertThat(versions.out()).contains("VERSION").contains(versionId).contains("ENABLED").doesNotContain("s3cr3t");
  }

  @Test
  void get_binaryValueJsonReveal_base64() throws Exception {
    byte[] binary = {0, (byte) 0xff, (byte) 0xfe, 7};
    Files.write(dir.resolve("blob"), binary);
    CliTest.Result r = run("secrets", "get", "blob", "--store", "dir:" + dir, "--json", "--reveal");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(new ObjectMapper().readTree(r.out()).get("valueBase64").asText()).isEqualTo("AP/+Bw==");
  }

  @Test
  void get_gcpSm_metadataWithoutValue_revealPrintsIt() {
    CliTest.Result meta = CliTest.run(gcpArgs("secrets", "get", "orders-db"));
    assertThat(meta.code()).as(meta.err()).isZero();
    assertThat(meta.out()).contains("name     orders-db").contains("version  2")
        .contains("length   " + DB_V2.length() + " bytes").doesNotContain("s3cr3t");
    assertThat(meta.err()).doesNotContain("s3cr3t");

    CliTest.Result reveal = CliTest.run(gcpArgs("secrets", "get", "orders-db", "--reveal"));
    assertThat(reveal.code()).as(reveal.err()).isZero();
    assertThat(reveal.out()).isEqualTo(DB_V2);

    CliTest.Result v1 = CliTest.run(gcpArgs("secrets", "get", "orders-db", "--version", "1", "--reveal"));
    assertThat(v1.out()).isEqualTo(DB_V1);
    CliTest.Result previous = CliTest.run(gcpArgs("secrets", "get", "orders-db", "--previous", "--json"));
    assertThat(previous.code()).isZero();
    assertThat(previous.out()).contains("\"version\" : \"1\"").doesNotContain("s3cr3t");
  }

  @Test
  void versions_gcpSm_listsNewestFirstWithoutReadingValues() {
    long accessesBefore = gcp.faults().calls("AccessSecretVersion");
    CliTest.Result r = CliTest.run(gcpArgs("secrets", "versions", "orders-db"));
    assertThat(r.code()).as(r.err()).isZero();
    String[] lines = r.out().split("\n");
    assertThat(lines[0]).startsWith("VERSION");
    assertThat(lines[1]).startsWith("2 ").contains("ENABLED");
    assertThat(lines[2]).startsWith("1 ").contains("ENABLED");
    assertThat(gcp.faults().calls("AccessSecretVersion")).isEqualTo(accessesBefore);

    CliTest.Result json = CliTest.run(gcpArgs("secrets", "versions", "orders-db", "--json"));
    assertThat(json.out()).contains("\"id\" : \"2\"").contains("\"state\" : \"ENABLED\"");
  }

  @Test
  void get_gcpSm_notFoundOrDenied_exit3() {
    CliTest.Result missing = CliTest.run(gcpArgs("secrets", "get", "no-such-secret"));
    assertThat(missing.code()).isEqualTo(3);
    assertThat(missing.err()).contains("no-such-secret").contains("not found");

    assertThat(CliTest.run(gcpArgs("secrets", "get", "orders-db", "--version", "9")).code()).isEqualTo(3);
    assertThat(CliTest.run(gcpArgs("secrets", "get", "orders-db", "--pending")).code()).isEqualTo(3);

    String denied = PROJECT + "/secrets/locked";
    gcp.secretManager().createSecret(denied);
    gcp.secretManager().addVersion(denied, "x".getBytes(UTF_8));
    gcp.secretManager().deny(denied, FakeSecretManager.ACCESS_PERMISSION);
    CliTest.Result r = CliTest.run(gcpArgs("secrets", "get", "locked"));
    assertThat(r.code()).isEqualTo(3);
    assertThat(r.err()).contains("PERMISSION_DENIED");
  }

  @Test
  void usageErrors_exit2() {
    CliTest.Result noProvider = run("secrets", "get", "x", "--store", "nope-sm:thing");
    assertThat(noProvider.code()).isEqualTo(2);
    assertThat(noProvider.err()).contains("no provider for store scheme 'nope-sm'");

    assertThat(run("secrets", "get", "x", "--pending", "--previous").code()).isEqualTo(2);
    assertThat(run("secrets", "get", "x", "--version", "1", "--stage", "AWSCURRENT").code()).isEqualTo(2);
    assertThat(run("secrets", "get").code()).isEqualTo(2);
    assertThat(run("secrets").code()).isEqualTo(2);
    CliTest.Result wrongEndpoint = run("secrets", "get", "x", "--store", "env", "--endpoint", "gcp-sm=127.0.0.1:1");
    assertThat(wrongEndpoint.code()).isEqualTo(2);
    assertThat(wrongEndpoint.err()).contains("--endpoint is for 'gcp-sm'");
    assertThat(run("secrets", "get", "x", "--store", "gcp-sm:p", "--store-option", "colour=blue").code()).isEqualTo(2);
    assertThat(run("secrets", "get", "--help").code()).isZero();
  }
}
