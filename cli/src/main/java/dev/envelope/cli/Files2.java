package dev.envelope.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** All-or-nothing output: write a temp file beside the target, rename on success. */
final class Files2 {
  private Files2() {}

  interface Writer {
    void write(OutputStream out) throws IOException;
  }

  static InputStream openInput(String in) throws IOException {
    if ("-".equals(in)) {
      return Main.stdin;
    }
    return Files.newInputStream(Path.of(in));
  }

  /** Writes {@code out} ("-" = stdout, streamed) atomically: on any failure no file is left. */
  static void writeOutput(String outPath, Writer writer) throws IOException {
    if ("-".equals(outPath)) {
      OutputStream stdout = new java.io.FilterOutputStream(Main.stdout) {
        @Override
        public void close() throws IOException {
          flush(); // never close the process's stdout
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          out.write(b, off, len);
        }
      };
      writer.write(stdout);
      return;
    }
    Path target = Path.of(outPath).toAbsolutePath();
    Path dir = target.getParent();
    Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".partial");
    boolean done = false;
    try {
      try (OutputStream os = Files.newOutputStream(tmp)) {
        writer.write(os);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }
}
