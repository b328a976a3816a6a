package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.envelope.core.internal.keyfile.KeyFileCodec;
import dev.envelope.core.internal.keyfile.KeyFileEntry;
import dev.envelope.core.internal.keyfile.KeyFileVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rotation or key creation whose write fails half-way, as on a full disk, leaves the previous key
 * file intact, loadable and complete, no temporary file, and the store's memory unchanged. The
 * failure is real, not simulated: a second JVM runs with a file-size limit ({@code ulimit -f})
 * below the key file's size, so writing the new file fails with EFBIG part-way through (the JVM
 * ignores SIGXFSZ). A read-only directory would not do: tests may run as root. The failure inside
 * {@code AtomicFiles} itself is {@code AtomicFilesTest}'s.
 */
@EnabledOnOs(OS.LINUX)
class LocalKeyStoreWriteFailureTest {
  /** Versions of the one key in the file: about 26 KB, several times any {@code ulimit -f 8} (4 or 8 KiB). */
  private static final int VERSIONS = 600;
  private static final EncryptionContext CTX = EncryptionContext.of("tenant", "42");

  @TempDir
  Path dir;

  private Path file() {
    return dir.resolve("keys.envk");
  }

  @Test
  void rotateOrCreateKey_writeFailsPartWay_previousFileIntactAndLoadable() throws Exception {
    SecureRandom random = new SecureRandom();
    List<KeyFileVersion> versions = new ArrayList<>();
    for (int v = 1; v <= VERSIONS; v++) {
      byte[] k = new byte[32];
      random.nextBytes(k);
      versions.add(new KeyFileVersion(v, 0, k));
    }
    Files.write(file(), KeyFileCodec.encode(List.of(new KeyFileEntry("orders", VERSIONS, versions)), null, null, null));
    LocalKeyStore store = LocalKeyStore.open(file(), null);
    store.rotate("orders"); // creates the lock file, as any earlier write would have
    WrappedKey wrapped = store.masterKey("orders").wrap(SecretBytes.wrap(new byte[32]), CTX);
    byte[] before = Files.readAllBytes(file());
    assertThat(before.length).isGreaterThan(3 * 8192);
    String listed = store.list().toString();

    for (String op : new String[] {"rotate", "billing"}) {
      List<String> out = runChildWithFileSizeLimit(op);

      assertThat(out).as("child output").hasSize(3);
      assertThat(out.get(0)).as(op).startsWith("FAILED ").contains("File too large").contains("keys.envk");
      assertThat(out.get(1)).as("memory after the failed " + op).isEqualTo("MEMORY " + listed);
      assertThat(out.get(2)).as("reloaded after the failed " + op).isEqualTo("RELOADED " + listed);
      assertThat(Files.readAllBytes(file())).as("key file after the failed " + op).isEqualTo(before);
      assertThat(listing()).containsExactly("keys.envk", "keys.envk.lock");
    }

    LocalKeyStore reopened = LocalKeyStore.open(file(), null);
    assertThat(reopened.list().toString()).isEqualTo(listed);
    assertThat(reopened.masterKey("orders").unwrap(wrapped, CTX)).isEqualTo(SecretBytes.wrap(new byte[32]));
    assertThat(reopened.rotate("orders")).as("no version lost or skipped").isEqualTo(VERSIONS + 2);
  }

  private List<String> runChildWithFileSizeLimit(String op) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // exec keeps the limit on the JVM itself; no perf-data file, which the limit would also hit.
    String command = "ulimit -f 8 && exec \"$0\" -XX:-UsePerfData -cp \"$1\" " + KeyStoreWriteChild.class.getName()
        + " \"$2\" \"$3\"";
    Process child = new ProcessBuilder("/bin/sh", "-c", command, java, System.getProperty("java.class.path"),
        file().toString(), op).redirectErrorStream(true).start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(child.exitValue()).as(output).isZero();
    return output.lines().toList();
  }

  private String[] listing() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
    }
  }
}
