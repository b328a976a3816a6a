package dev.envelope.core.internal.keyfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir
  Path dir;

  private static AtomicFiles.Content bytes(String s) {
    return ch -> ch.write(ByteBuffer.wrap(s.getBytes()));
  }

  private String[] listing() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toArray(String[]::new);
    }
  }

  @Test
  void write_failureHalfwayThrough_leavesOldFileAndNoTemporary() throws IOException {
    Path target = dir.resolve("keys.envk");
    AtomicFiles.write(target, true, bytes("old content"));

    assertThatThrownBy(() -> AtomicFiles.write(target, false, ch -> {
      ch.write(ByteBuffer.wrap("new cont".getBytes()));
      throw new IOException("disk full (simulated)");
    })).isInstanceOf(IOException.class).hasMessageContaining("simulated");

    assertThat(Files.readString(target)).isEqualTo("old content");
    assertThat(listing()).containsExactly("keys.envk");
  }

  @Test
  void write_replacesExistingFile() throws IOException {
    Path target = dir.resolve("keys.envk");
    AtomicFiles.write(target, true, bytes("one"));

    AtomicFiles.write(target, false, bytes("two"));

    assertThat(Files.readString(target)).isEqualTo("two");
    assertThat(listing()).containsExactly("keys.envk");
  }

  @Test
  void write_mustNotExistButExists_throwsAndKeepsFile() throws IOException {
    Path target = dir.resolve("keys.envk");
    Files.writeString(target, "keep");

    assertThatThrownBy(() -> AtomicFiles.write(target, true, bytes("new")))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.readString(target)).isEqualTo("keep");
    assertThat(listing()).containsExactly("keys.envk");
  }

  @Test
  void write_newFile_isOwnerOnly() throws IOException {
    assumeThat(AtomicFiles.isPosix(dir)).isTrue();
    Path target = dir.resolve("keys.envk");

    AtomicFiles.write(target, true, bytes("x"));

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rw-------");
  }

  @Test
  void readBounded_largeFile_readsOneByteMoreThanLimit() throws IOException {
    Path f = dir.resolve("big");
    Files.write(f, new byte[5000]);

    assertThat(AtomicFiles.readBounded(f, 100)).hasSize(101);
    assertThat(AtomicFiles.readBounded(f, 10_000)).hasSize(5000);
  }

  @Test
  void lock_heldByOneThread_blocksAnotherUntilReleased() throws Exception {
    Path target = dir.resolve("keys.envk");
    java.util.concurrent.CountDownLatch acquired = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean released = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicBoolean sawRelease = new java.util.concurrent.atomic.AtomicBoolean();
    Thread other;
    try (AtomicFiles.Locked lock = AtomicFiles.lock(target)) {
      other = new Thread(() -> {
        acquired.countDown();
        try (AtomicFiles.Locked second = AtomicFiles.lock(target)) {
          sawRelease.set(released.get());
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      other.start();
      acquired.await();
      // The other thread is now queued (or about to be) on the lock; give it a moment to try.
      other.join(200);
      assertThat(other.isAlive()).isTrue();
      released.set(true);
    }
    other.join(10_000);
    assertThat(other.isAlive()).isFalse();
    assertThat(sawRelease).isTrue();
    assertThat(dir.resolve("keys.envk.lock")).exists();
  }
}
