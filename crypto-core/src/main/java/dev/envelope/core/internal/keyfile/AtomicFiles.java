package dev.envelope.core.internal.keyfile;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Crash-safe replacement of small files: write a temporary file in the same directory, fsync it,
 * rename it over the target, fsync the directory. A reader sees the old file or the new one, never
 * a mix. Files are created owner-only (rw-------) where the file system is POSIX.
 */
public final class AtomicFiles {
  static final Set<PosixFilePermission> OWNER_ONLY =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);

  /** FileLock is per JVM, not per thread: threads of one JVM queue on this lock first. */
  private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

  private AtomicFiles() {}

  /** Writes the temporary file's content; may fail, leaving the target untouched. */
  @FunctionalInterface
  public interface Content {
    void writeTo(FileChannel channel) throws IOException;
  }

  public static boolean isPosix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  private static FileAttribute<?>[] ownerOnly(Path path) {
    return isPosix(path)
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
        : new FileAttribute<?>[0];
  }

  /**
   * Atomically replaces (or creates) {@code target} with what {@code content} writes.
   *
   * @param mustNotExist fail with {@link FileAlreadyExistsException} if the target exists; only
   *     race-free against writers that hold {@link #lock}
   */
  public static void write(Path target, boolean mustNotExist, Content content) throws IOException {
    Path absolute = target.toAbsolutePath();
    Path dir = absolute.getParent();
    if (mustNotExist && Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(absolute.toString());
    }
    Path tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp", ownerOnly(dir));
    boolean moved = false;
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        content.writeTo(ch);
        ch.force(true);
      }
      if (isPosix(tmp)) {
        // createTempFile already asked for 0600; set it again in case the attribute was ignored.
        Files.setPosixFilePermissions(tmp, OWNER_ONLY);
      }
      Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE);
      moved = true;
      syncDirectory(dir);
    } finally {
      if (!moved) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Makes the rename durable; not every platform can open a directory, so this is best effort. */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Windows cannot open directories; its MoveFileEx with write-through is durable enough.
    }
  }

  /**
   * Reads at most {@code max + 1} bytes, so a caller can tell "too large" without reading a huge
   * file into memory.
   */
  public static byte[] readBounded(Path path, int max) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      return in.readNBytes(max + 1);
    }
  }

  /** An exclusive lock on {@code target}'s sibling lock file, held within the JVM and across processes. */
  public static Locked lock(Path target) throws IOException {
    Path absolute = target.toAbsolutePath().normalize();
    Path lockFile = absolute.resolveSibling(absolute.getFileName() + ".lock");
    ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, p -> new ReentrantLock());
    jvmLock.lock();
    FileChannel ch = null;
    try {
      ch = FileChannel.open(lockFile,
          EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE), ownerOnly(lockFile.getParent()));
      FileLock fileLock = ch.lock();
      return new Locked(jvmLock, ch, fileLock);
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ch.close();
      }
      jvmLock.unlock();
      throw e;
    }
  }

  /** Releases the file lock, then the JVM lock. */
  public static final class Locked implements AutoCloseable {
    private final ReentrantLock jvmLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private Locked(ReentrantLock jvmLock, FileChannel channel, FileLock fileLock) {
      this.jvmLock = jvmLock;
      this.channel = channel;
      this.fileLock = fileLock;
    }

    @Override
    public void close() throws IOException {
      try {
        fileLock.release();
        channel.close();
      } finally {
        jvmLock.unlock();
      }
    }
  }
}
