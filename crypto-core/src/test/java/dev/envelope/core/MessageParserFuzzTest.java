package dev.envelope.core;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * Any input to the message parsers either decrypts, or fails with the typed exception: never
 * another exception, never an OutOfMemoryError from a length field. Regression mode (the default
 * in {@code mvn verify}) replays the seeds in {@code MessageParserFuzzTestInputs/}; fuzz for real
 * with {@code JAZZER_FUZZ=1} (see docs/security.md).
 */
class MessageParserFuzzTest {
  // The known-answer key and context, so the seeds (the known-answer vectors) decrypt fully.
  private static final Envelope ENV = Envelope.builder().masterKeys(KnownAnswerTest.katKey()).build();
  private static final EncryptionContext CTX = KnownAnswerTest.CTX;

  @FuzzTest(maxDuration = "10s")
  void decrypt_anyBytes_decryptsOrThrowsTyped(byte[] input) {
    try {
      ENV.decrypt(input, CTX);
    } catch (InvalidCiphertextException | KeyUnavailableException expected) {
      // typed
    }
    try {
      ENV.decryptingStream(new ByteArrayInputStream(input), CTX).readAllBytes();
    } catch (InvalidCiphertextException | KeyUnavailableException expected) {
      // typed
    } catch (IOException e) {
      throw new AssertionError("in-memory stream cannot fail with I/O", e);
    }
    try {
      Envelope.inspect(input);
    } catch (InvalidCiphertextException expected) {
      // typed
    }
  }

  @FuzzTest(maxDuration = "10s")
  void fromCanonical_anyBytes_parsesOrIllegalArgument(byte[] input) {
    try {
      EncryptionContext ctx = EncryptionContext.fromCanonical(input);
      if (!java.util.Arrays.equals(ctx.canonicalBytes(), input)) {
        throw new AssertionError("parsed context does not re-encode to its input");
      }
    } catch (IllegalArgumentException expected) {
      // typed
    }
  }
}
