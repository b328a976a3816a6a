package dev.envelope.core;

import dev.envelope.core.internal.Gcm;
import dev.envelope.core.internal.MessageFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.LongConsumer;
import javax.crypto.spec.SecretKeySpec;

/**
 * §5 framed body writer: buffers one segment, emits it as non-final once more data arrives, and
 * emits the final (short, possibly empty) segment on close. Memory is two segment buffers.
 */
final class EncryptingOutputStream extends OutputStream {
  private final OutputStream sink;
  private final SecretKeySpec contentKey;
  private final byte[] plain;
  private final byte[] sealed;
  private final LongConsumer bytesUsed;
  private final Runnable onClose;
  private int buffered;
  private long index;
  private boolean closed;

  EncryptingOutputStream(OutputStream sink, SecretKeySpec contentKey, int segmentSize, LongConsumer bytesUsed,
      Runnable onClose) {
    this.sink = sink;
    this.contentKey = contentKey;
    this.plain = new byte[segmentSize];
    this.sealed = new byte[segmentSize + Gcm.TAG_LENGTH];
    this.bytesUsed = bytesUsed;
    this.onClose = onClose;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (closed) {
      throw new IOException("stream closed");
    }
    while (len > 0) {
      if (buffered == plain.length) {
        // A full buffer followed by more data is a non-final segment.
        seal(false);
      }
      int n = Math.min(len, plain.length - buffered);
      System.arraycopy(b, off, plain, buffered, n);
      buffered += n;
      off += n;
      len -= n;
    }
  }

  private void seal(boolean last) throws IOException {
    Gcm.encrypt(contentKey, MessageFormat.nonce(last ? MessageFormat.FLAG_FINAL_SEGMENT : MessageFormat.FLAG_SEGMENT, index),
        null, 0, 0, plain, 0, buffered, sealed, 0);
    sink.write(sealed, 0, buffered + Gcm.TAG_LENGTH);
    bytesUsed.accept(buffered);
    index++;
    buffered = 0;
  }

  @Override
  public void flush() throws IOException {
    // Only whole segments can be written; a partial one stays buffered until it is full or closed.
    sink.flush();
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      if (buffered == plain.length) {
        seal(false);
      }
      seal(true);
      sink.close();
    } finally {
      Arrays.fill(plain, (byte) 0);
      onClose.run();
    }
  }
}
