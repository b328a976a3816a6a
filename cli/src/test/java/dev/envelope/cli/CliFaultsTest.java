package dev.envelope.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.envelope.testkit.FaultInjector;
import dev.envelope.testkit.aws.AwsFake;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Nothing is written half-way: {@code encrypt} and {@code decrypt} to a file while AWS KMS fails
 * (the AWS fake with injected faults, through the real SDK) exit with the documented code (3 key
 * unavailable or denied, 4 KMS), leave no output file and no temporary file, and leave a file that
 * was already at the output path byte for byte as it was. {@link CliTest} covers the same for
 * wrong contexts and altered ciphertext (exit 1).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CliFaultsTest {
  private static final String PREVIOUS = "output of an earlier run";
  static AwsFake aws;
  static String arn;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    System.setProperty("aws.accessKeyId", AwsFake.ACCESS_KEY_ID);
    System.setProperty("aws.secretAccessKey", AwsFake.SECRET_ACCESS_KEY);
    aws = AwsFake.start();
    arn = aws.createKey(aws.region());
  }

  @AfterAll
  static void stop() {
    aws.close();
  }

  @AfterEach
  void clearFaults() {
    aws.faults().clear();
    aws.enableKey(arn);
  }

  private static String[] withAws(AwsFake fake, String... args) {
    return CliCloudTest.concat(args, new String[] {"--endpoint", "aws-kms=" + fake.endpoint(),
        "--key-option", "aws-kms.region=" + fake.region()});
  }

  private Path plaintextFile() throws IOException {
    return Files.writeString(dir.resolve("report.txt"), "quarterly numbers");
  }

  private Path ciphertextFile() throws IOException {
    Path enc = dir.resolve("report.env");
    CliTest.Result r = CliTest.run(withAws(aws, "encrypt", "--key", "aws-kms:" + arn, "--context", "dept=finance",
        "--in", plaintextFile().toString(), "--out", enc.toString()));
    assertThat(r.code()).as(r.err()).isZero();
    return enc;
  }

  private String[] listing() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
    }
  }

  /**
   * Runs {@code args} (whose output path is {@code out}) twice: without a file at the output path,
   * and with one there. Both must exit {@code code}; the directory must hold exactly what it held
   * before, the earlier output unchanged.
   */
  private void assertFailsWritingNothing(int code, Path out, String... args) throws IOException {
    String[] before = listing();
    CliTest.Result first = CliTest.run(args);
    assertThat(first.code()).as(first.err()).isEqualTo(code);
    assertThat(first.err()).doesNotContain("quarterly", "finance");
    assertThat(out).doesNotExist();
    assertThat(listing()).containsExactly(before);

    Files.writeString(out, PREVIOUS);
    String[] withPrevious = listing();
    CliTest.Result second = CliTest.run(args);
    assertThat(second.code()).as(second.err()).isEqualTo(code);
    assertThat(Files.readString(out)).isEqualTo(PREVIOUS);
    assertThat(listing()).containsExactly(withPrevious);
  }

  @Test
  void encrypt_generateDataKeyFails5xx_exit4_nothingWritten() throws Exception {
    Path in = plaintextFile();
    Path out = dir.resolve("report.env");
    aws.faults().serverError("GenerateDataKey", FaultInjector.ALWAYS);

    assertFailsWritingNothing(Main.EXIT_FAILURE, out, withAws(aws, "encrypt", "--key", "aws-kms:" + arn,
        "--context", "dept=finance", "--in", in.toString(), "--out", out.toString()));
  }

  @Test
  void encrypt_kmsNeverAnswers_deadlineOption_exit4WithinIt_nothingWritten() throws Exception {
    Path in = plaintextFile();
    Path out = dir.resolve("report.env");
    aws.faults().timeout("GenerateDataKey", FaultInjector.ALWAYS);
    String[] args = CliCloudTest.concat(withAws(aws, "encrypt", "--key", "aws-kms:" + arn, "--context", "dept=finance",
        "--in", in.toString(), "--out", out.toString()), new String[] {"--key-option", "aws-kms.deadline=1500ms"});

    long start = System.nanoTime();
    CliTest.Result r = CliTest.run(args);
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(r.code()).as(r.err()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(millis).as("the 10 s default deadline would take longer").isLessThan(6_000);
    assertThat(out).doesNotExist();
    CliTest.Result bad = CliTest.run(CliCloudTest.concat(args, new String[] {"--key-option", "aws-kms.deadline=soon"}));
    assertThat(bad.code()).isEqualTo(Main.EXIT_USAGE);
    assertThat(bad.err()).contains("aws-kms.deadline");
  }

  @Test
  void encrypt_secondKeysWrapFailsAfterFirstKeyGaveTheDataKey_exit4_nothingWritten() throws Exception {
    Path kf = dir.resolve("app.keys");
    assertThat(CliTest.run("keys", "create", "--keyfile", kf.toString(), "--name", "orders").code()).isZero();
    Path in = plaintextFile();
    Path out = dir.resolve("report.env");
    aws.faults().serverError("Encrypt", FaultInjector.ALWAYS);

    assertFailsWritingNothing(Main.EXIT_FAILURE, out, withAws(aws, "encrypt", "--key", "local:" + kf + "#orders",
        "--key", "aws-kms:" + arn, "--context", "dept=finance", "--in", in.toString(), "--out", out.toString()));
  }

  @Test
  void encrypt_keyDisabled_exit3_nothingWritten() throws Exception {
    Path in = plaintextFile();
    Path out = dir.resolve("report.env");
    aws.disableKey(arn);

    assertFailsWritingNothing(Main.EXIT_KEY, out, withAws(aws, "encrypt", "--key", "aws-kms:" + arn,
        "--context", "dept=finance", "--in", in.toString(), "--out", out.toString()));
  }

  @Test
  void decrypt_decryptFails5xx_exit4_nothingWritten() throws Exception {
    Path enc = ciphertextFile();
    Path out = dir.resolve("report.out");
    aws.faults().serverError("Decrypt", FaultInjector.ALWAYS);

    assertFailsWritingNothing(Main.EXIT_FAILURE, out, withAws(aws, "decrypt", "--key", "aws-kms:" + arn,
        "--context", "dept=finance", "--in", enc.toString(), "--out", out.toString()));
  }

  @Test
  void decrypt_accessDeniedOrKeyDisabled_exit3_nothingWritten() throws Exception {
    Path enc = ciphertextFile();
    Path out = dir.resolve("report.out");
    String[] args = withAws(aws, "decrypt", "--key", "aws-kms:" + arn, "--context", "dept=finance",
        "--in", enc.toString(), "--out", out.toString());

    aws.faults().error("Decrypt", "AccessDeniedException", FaultInjector.ALWAYS);
    assertFailsWritingNothing(Main.EXIT_KEY, out, args);
    Files.delete(out);
    aws.faults().clear();
    aws.disableKey(arn);
    assertFailsWritingNothing(Main.EXIT_KEY, out, args);
  }

  @Test
  void decrypt_kmsServerGone_exit4_nothingWritten() throws Exception {
    Path enc;
    String gone;
    try (AwsFake doomed = AwsFake.start()) {
      gone = doomed.createKey(doomed.region());
      enc = dir.resolve("report.env");
      CliTest.Result r = CliTest.run(withAws(doomed, "encrypt", "--key", "aws-kms:" + gone, "--context", "dept=finance",
          "--in", plaintextFile().toString(), "--out", enc.toString()));
      assertThat(r.code()).as(r.err()).isZero();
      Path out = dir.resolve("report.out");
      String[] args = withAws(doomed, "decrypt", "--key", "aws-kms:" + gone, "--context", "dept=finance",
          "--in", enc.toString(), "--out", out.toString());
      doomed.close();

      assertFailsWritingNothing(Main.EXIT_FAILURE, out, args);
    }
  }
}
