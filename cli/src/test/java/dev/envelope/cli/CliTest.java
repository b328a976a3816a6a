package dev.envelope.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
  @TempDir
  Path dir;

  record Result(int code, String out, String err, byte[] stdout) {}

  static Result run(String... args) {
    return runWithStdin(new byte[0], args);
  }

  static Result runWithStdin(byte[] stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new ByteArrayInputStream(stdin), out, err);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8), out.toByteArray());
  }

  Path keyfile() {
    Path kf = dir.resolve("app.keys");
    assertThat(run("keys", "create", "--keyfile", kf.toString(), "--name", "orders").code()).isZero();
    return kf;
  }

  @Test
  void encryptDecrypt_fileRoundTrip_matches() throws Exception {
    Path kf = keyfile();
    byte[] data = new byte[300_000];
    new Random(1).nextBytes(data);
    Path in = Files.write(dir.resolve("data.bin"), data);
    Path enc = dir.resolve("data.env");
    Path back = dir.resolve("back.bin");
    String key = "local:" + kf + "#orders";
    Result e = run("encrypt", "--key", key, "--context", "tenant=42", "--context", "purpose=x",
        "--in", in.toString(), "--out", enc.toString());
    assertThat(e.code()).as(e.err()).isZero();
    Result d = run("decrypt", "--key", key, "--context", "purpose=x", "--context", "tenant=42",
        "--in", enc.toString(), "--out", back.toString());
    assertThat(d.code()).as(d.err()).isZero();
    assertThat(Files.readAllBytes(back)).isEqualTo(data);
    assertThat(e.err()).contains("not encrypted");
  }

  @Test
  void decrypt_wrongContextOrTampered_exit1AndNoOutputFile() throws Exception {
    Path kf = keyfile();
    Path in = Files.writeString(dir.resolve("m.txt"), "attack at dawn");
    Path enc = dir.resolve("m.env");
    String key = "local:" + kf + "#orders";
    assertThat(run("encrypt", "--key", key, "--context", "tenant=42", "--in", in.toString(), "--out", enc.toString()).code()).isZero();

    Path out = dir.resolve("out.txt");
    Result wrong = run("decrypt", "--key", key, "--context", "tenant=wrong-tenant-7f3a9c", "--in", enc.toString(), "--out", out.toString());
    assertThat(wrong.code()).isEqualTo(1);
    assertThat(wrong.err()).contains("Unable to decrypt").doesNotContain("wrong-tenant-7f3a9c").doesNotContain("attack");
    assertThat(out).doesNotExist();

    byte[] ct = Files.readAllBytes(enc);
    ct[ct.length - 1] ^= 1;
    Path bad = Files.write(dir.resolve("bad.env"), ct);
    Result tampered = run("decrypt", "--key", key, "--context", "tenant=42", "--in", bad.toString(), "--out", out.toString());
    assertThat(tampered.code()).isEqualTo(1);
    assertThat(out).doesNotExist();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".partial"));
    }
  }

  @Test
  void encryptDecrypt_stdinStdout_roundTrip() {
    Path kf = keyfile();
    String key = "local:" + kf + "#orders";
    byte[] msg = "streamed through pipes".getBytes(StandardCharsets.UTF_8);
    Result e = runWithStdin(msg, "encrypt", "--key", key, "--in", "-", "--out", "-");
    assertThat(e.code()).isZero();
    Result d = runWithStdin(e.stdout(), "decrypt", "--key", key, "--in", "-", "--out", "-");
    assertThat(d.code()).isZero();
    assertThat(d.stdout()).isEqualTo(msg);
  }

  @Test
  void inspect_showsKeyVersionAndContext_jsonToo() throws Exception {
    Path kf = keyfile();
    String key = "local:" + kf + "#orders";
    Path in = Files.writeString(dir.resolve("m.txt"), "hello");
    Path enc = dir.resolve("m.env");
    run("keys", "rotate", "--keyfile", kf.toString(), "--name", "orders");
    run("encrypt", "--key", key, "--context", "tenant=42", "--in", in.toString(), "--out", enc.toString());
    Result text = run("inspect", "--in", enc.toString());
    assertThat(text.code()).isZero();
    assertThat(text.out()).contains("local:orders").contains("version 2").contains("tenant=42").doesNotContain("hello");
    Result json = run("inspect", "--in", enc.toString(), "--json");
    assertThat(json.out()).contains("\"keyId\" : \"orders\"").contains("\"version\" : \"2\"");
  }

  @Test
  void keys_list_showsVersionsNeverKeyBytes() {
    Path kf = keyfile();
    run("keys", "rotate", "--keyfile", kf.toString(), "--name", "orders");
    Result list = run("keys", "list", "--keyfile", kf.toString());
    assertThat(list.code()).isZero();
    assertThat(list.out()).contains("orders").contains("version 1").contains("version 2").contains("(primary)");
  }

  @Test
  void usageErrors_exit2() {
    assertThat(run("encrypt", "--in", "x").code()).isEqualTo(2);
    assertThat(run("nonsense").code()).isEqualTo(2);
    Path kf = keyfile();
    Result badCtx = run("encrypt", "--key", "local:" + kf + "#orders", "--context", "novalue", "--in", "-", "--out", "-");
    assertThat(badCtx.code()).isEqualTo(2);
    Result badScheme = run("encrypt", "--key", "nope:x", "--in", "-", "--out", "-");
    assertThat(badScheme.code()).isEqualTo(2);
  }

  @Test
  void decrypt_unknownKey_exit3() throws Exception {
    Path kf = keyfile();
    assertThat(run("keys", "create", "--keyfile", kf.toString(), "--name", "other").code()).isZero();
    Path in = Files.writeString(dir.resolve("m.txt"), "x");
    Path enc = dir.resolve("m.env");
    run("encrypt", "--key", "local:" + kf + "#orders", "--in", in.toString(), "--out", enc.toString());
    Result r = run("decrypt", "--key", "local:" + kf + "#other", "--in", enc.toString(), "--out", dir.resolve("o").toString());
    assertThat(r.code()).isEqualTo(3);
    assertThat(dir.resolve("o")).doesNotExist();
  }

  @Test
  void demo_runsWholeStory_exit0() {
    Result r = run("demo");
    assertThat(r.code()).as(r.err() + r.out()).isZero();
    assertThat(r.out()).contains("Demo finished").contains("still decrypts");
  }
}
