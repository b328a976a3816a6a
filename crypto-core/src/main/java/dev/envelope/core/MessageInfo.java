package dev.envelope.core;

import dev.envelope.core.internal.MessageFormat;
import java.util.HexFormat;
import java.util.List;

/**
 * What a message header says, for {@code envelope inspect}: nothing here is secret and nothing
 * was authenticated.
 *
 * @param version format version
 * @param suite suite id (docs/format.md §3.1)
 * @param suiteName human-readable suite
 * @param messageId hex message id
 * @param segmentSize plaintext bytes per segment
 * @param context the stored encryption context
 * @param keys the wrapped data keys, one per master key
 * @param headerLength bytes of header
 * @param totalLength bytes of the whole message, or -1 when read from a stream
 */
public record MessageInfo(
    int version,
    int suite,
    String suiteName,
    String messageId,
    int segmentSize,
    EncryptionContext context,
    List<WrappedKey> keys,
    int headerLength,
    long totalLength) {

  static MessageInfo of(MessageFormat.Header h, long total) {
    EncryptionContext ctx;
    try {
      ctx = EncryptionContext.fromCanonical(h.context());
    } catch (IllegalArgumentException e) {
      throw new InvalidCiphertextException();
    }
    return new MessageInfo(MessageFormat.VERSION, h.suite(), "AES-256-GCM, HKDF-SHA256, key commitment",
        HexFormat.of().formatHex(h.messageId()), h.segmentSize(), ctx, h.keys(), h.length(), total);
  }

  /** Plaintext length implied by the total length, or -1 when unknown. */
  public long plaintextLength() {
    if (totalLength < 0) {
      return -1;
    }
    long body = totalLength - headerLength;
    long full = (body - 16) / (segmentSize + 16L);
    return body - (full + 1) * 16;
  }
}
