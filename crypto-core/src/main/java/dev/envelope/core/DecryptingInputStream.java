package dev.envelope.core;

import dev.envelope.core.internal.Gcm;
import dev.envelope.core.internal.MessageFormat;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.spec.SecretKeySpec;

/**
 * §5 framed body reader: reads one sealed segment at a time, authenticates it, and only then
 * releases its plaintext. A full-size segment is never final (a final segment is always short),
 * so no lookahead beyond one byte at the end is needed.
 */
final class DecryptingInputStream extends InputStream {
  private final InputStream source;
  private final SecretKeySpec contentKey;
  private final int segmentSize;
  private final byte[] sealed;
  private final byte[] plain;
  private int available;
  private int position;
  private long index;
  private boolean finished;
  private boolean failed;

  DecryptingInputStream(InputStream source, SecretKeySpec contentKey, int segmentSize) {
    this.source = source;
    this.contentKey = contentKey;
    this.segmentSize = segmentSize;
    this.sealed = new byte[segmentSize + Gcm.TAG_LENGTH];
    this.plain = new byte[segmentSize];
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    if (len == 0) {
      return 0;
    }
    while (position == available) {
      if (finished) {
        return -1;
      }
      nextSegment();
    }
    int n = Math.min(len, available - position);
    System.arraycopy(plain, position, b, off, n);
    position += n;
    return n;
  }

  private void nextSegment() throws IOException {
    if (failed) {
      throw new InvalidCiphertextException();
    }
    int n = source.readNBytes(sealed, 0, sealed.length);
    boolean last = n < sealed.length;
    if (last) {
      if (n < Gcm.TAG_LENGTH || source.read() != -1) {
        fail();
      }
    }
    int flag = last ? MessageFormat.FLAG_FINAL_SEGMENT : MessageFormat.FLAG_SEGMENT;
    if (!Gcm.decrypt(contentKey, MessageFormat.nonce(flag, index), null, 0, 0, sealed, 0, n, plain, 0)) {
      fail();
    }
    index++;
    position = 0;
    available = n - Gcm.TAG_LENGTH;
    finished = last;
  }

  private void fail() {
    failed = true;
    Arrays.fill(plain, (byte) 0);
    position = 0;
    available = 0;
    throw new InvalidCiphertextException();
  }

  @Override
  public int available() {
    return available - position;
  }

  @Override
  public void close() throws IOException {
    Arrays.fill(plain, (byte) 0);
    source.close();
  }
}
