package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An attacker who can change stored messages (docs/security.md, "integrity of ciphertext"):
 * exhaustive tampering of small messages, every reordering of segments, headers moved between
 * messages, and contexts that look alike. Every failure must be exactly
 * {@link InvalidCiphertextException}, and a stream must never release a byte of a segment that did
 * not authenticate.
 */
class AdversarialMessageTest {
  static final int SEGMENT = 64;
  static final EncryptionContext CTX = EncryptionContext.of("tenant", "42", "purpose", "invoice");
  /** A few values for the appended byte: the bounds, and one each side of the sign bit. */
  static final byte[] APPENDED = {0x00, 0x01, 0x7F, (byte) 0x80, (byte) 0xFF};

  final CountingMasterKey key = new CountingMasterKey("k1");
  // The array path without a cache and the stream path with one, so both ways of opening a header
  // (unwrap each time; decrypt cache) see every tampered byte.
  final Envelope uncached = Envelope.builder().masterKeys(key).segmentSize(SEGMENT).build();
  final Envelope cached =
      Envelope.builder().masterKeys(key).segmentSize(SEGMENT).dataKeyCache(DataKeyCache.builder().build()).build();

  @AfterEach
  void close() {
    uncached.close();
    cached.close();
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  static final java.util.Set<Integer> STREAMED_SIZES = java.util.Set.of(0, 1, 16, 63, 64, 65, 130);

  static IntStream sizes() {
    // 0..64 with a 64-byte segment: empty, short and exactly one full segment (then an empty final
    // one); 65 and 130 add a second and third segment.
    return IntStream.concat(IntStream.rangeClosed(0, SEGMENT), IntStream.of(SEGMENT + 1, 2 * SEGMENT + 2));
  }

  // ---------------------------------------------------------------- exhaustive tampering

  @ParameterizedTest(name = "{0} bytes")
  @MethodSource("sizes")
  void decrypt_everyBitFlipTruncationAndAppendedByte_isInvalidCiphertextOnly(int size) throws Throwable {
    ShallowStack.run(() -> tamperEveryWay(size));
  }

  private void tamperEveryWay(int size) {
    byte[] pt = random(size);
    byte[] ct = uncached.encrypt(pt, CTX);
    assertThat(uncached.decrypt(ct, CTX)).isEqualTo(pt);
    // The stream path repeats every case at the sizes around block and segment boundaries; at
    // every size it would double the runtime for code (header parse, tag checks) both paths share.
    boolean stream = STREAMED_SIZES.contains(size);
    for (int bit = 0; bit < ct.length * 8; bit++) {
      byte[] bad = ct.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      assertRejected(bad, stream, "bit %d of %d", bit, ct.length);
    }
    for (int len = 0; len < ct.length; len++) {
      assertRejected(Arrays.copyOf(ct, len), stream, "truncated to %d of %d", len, ct.length);
    }
    for (byte b : APPENDED) {
      byte[] longer = Arrays.copyOf(ct, ct.length + 1);
      longer[ct.length] = b;
      assertRejected(longer, stream, "appended %02x", b);
    }
    // Extension with authentic-looking data: the final segment (ciphertext and tag) once more.
    int finalSealed = size % SEGMENT + 16;
    byte[] again = Arrays.copyOf(ct, ct.length + finalSealed);
    System.arraycopy(ct, ct.length - finalSealed, again, ct.length, finalSealed);
    assertRejected(again, true, "final segment repeated");
  }

  /**
   * {@code decrypt} (and {@code decryptingStream} if asked) rejects {@code bad} with exactly the one
   * typed exception. A plain try/catch rather than assertThatThrownBy: this runs 150,000 times.
   */
  private void assertRejected(byte[] bad, boolean stream, String what, Object... args) {
    Throwable array = null;
    try {
      uncached.decrypt(bad, CTX);
    } catch (Throwable t) {
      array = t;
    }
    if (array == null || array.getClass() != InvalidCiphertextException.class
        || !InvalidCiphertextException.MESSAGE.equals(array.getMessage())) {
      assertThat(array).as("decrypt, " + what, args).isExactlyInstanceOf(InvalidCiphertextException.class)
          .hasMessage(InvalidCiphertextException.MESSAGE);
    }
    if (!stream) {
      return;
    }
    Throwable streamed = null;
    try (InputStream in = cached.decryptingStream(new ByteArrayInputStream(bad), CTX)) {
      in.readAllBytes();
    } catch (Throwable t) {
      streamed = t;
    }
    if (streamed == null || streamed.getClass() != InvalidCiphertextException.class) {
      assertThat(streamed).as("decryptingStream, " + what, args).isExactlyInstanceOf(InvalidCiphertextException.class);
    }
  }

  // ---------------------------------------------------------------- segments reordered

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {3 * SEGMENT + 10, 4 * SEGMENT})
  void decrypt_everyReorderingOfSegments_failsAndStreamReleasesOnlyTheAuthenticatedPrefix(int size)
      throws IOException {
    // 3·64+10 bytes: three full segments and a short final one; 4·64: four full and an empty final.
    byte[] pt = random(size);
    byte[] ct = uncached.encrypt(pt, CTX);
    int header = Envelope.inspect(ct).headerLength();
    List<byte[]> segments = new ArrayList<>();
    for (int off = header; off < ct.length; off += SEGMENT + 16) {
      segments.add(Arrays.copyOfRange(ct, off, Math.min(ct.length, off + SEGMENT + 16)));
    }
    assertThat(segments).hasSize(size / SEGMENT + 1);
    int permutations = 0;
    for (int[] order : permutations(segments.size())) {
      int inPlace = 0;
      while (inPlace < order.length && order[inPlace] == inPlace) {
        inPlace++;
      }
      if (inPlace == order.length) {
        continue; // the original order
      }
      permutations++;
      ByteArrayOutputStream reordered = new ByteArrayOutputStream();
      reordered.write(ct, 0, header);
      for (int i : order) {
        reordered.write(segments.get(i));
      }
      byte[] bad = reordered.toByteArray();
      String what = Arrays.toString(order);
      assertThatThrownBy(() -> uncached.decrypt(bad, CTX)).as(what).isExactlyInstanceOf(InvalidCiphertextException.class);
      for (Envelope env : new Envelope[] {uncached, cached}) {
        // Small reads, so a segment released early would show up as extra bytes.
        ByteArrayOutputStream released = new ByteArrayOutputStream();
        InputStream in = env.decryptingStream(new ByteArrayInputStream(bad), CTX);
        Throwable failure = catchThrowable(() -> {
          byte[] buf = new byte[7];
          for (int n; (n = in.read(buf)) >= 0;) {
            released.write(buf, 0, n);
          }
        });
        assertThat(failure).as(what).isExactlyInstanceOf(InvalidCiphertextException.class);
        // Exactly the segments before the first one out of place: they did authenticate.
        assertThat(released.toByteArray()).as(what).isEqualTo(Arrays.copyOf(pt, inPlace * SEGMENT));
        assertThatThrownBy(() -> in.read()).as(what).isExactlyInstanceOf(InvalidCiphertextException.class);
      }
    }
    assertThat(permutations).isEqualTo(factorial(segments.size()) - 1);
  }

  private static List<int[]> permutations(int n) {
    List<int[]> out = new ArrayList<>();
    permute(new int[n], new boolean[n], 0, out);
    return out;
  }

  private static void permute(int[] prefix, boolean[] used, int depth, List<int[]> out) {
    if (depth == prefix.length) {
      out.add(prefix.clone());
      return;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (!used[i]) {
        used[i] = true;
        prefix[depth] = i;
        permute(prefix, used, depth + 1, out);
        used[i] = false;
      }
    }
  }

  private static int factorial(int n) {
    return n <= 1 ? 1 : n * factorial(n - 1);
  }

  // ---------------------------------------------------------------- headers between messages

  @Test
  void decrypt_headerSwappedBetweenMessages_fails() throws IOException {
    for (Envelope env : new Envelope[] {uncached, cached}) {
      // With the cache both messages share one data key; only their message ids differ.
      byte[] a = env.encrypt(random(100), CTX);
      byte[] b = env.encrypt(random(100), CTX);
      int h = Envelope.inspect(a).headerLength();
      assertThat(Envelope.inspect(b).headerLength()).isEqualTo(h);
      for (byte[][] pair : new byte[][][] {{a, b}, {b, a}}) {
        byte[] mixed = pair[0].clone();
        System.arraycopy(pair[1], 0, mixed, 0, h);
        assertThatThrownBy(() -> env.decrypt(mixed, CTX)).isExactlyInstanceOf(InvalidCiphertextException.class);
        InputStream in = env.decryptingStream(new ByteArrayInputStream(mixed), CTX);
        assertThatThrownBy(in::readAllBytes).isExactlyInstanceOf(InvalidCiphertextException.class);
      }
      assertThat(env.decrypt(a, CTX)).isEqualTo(random(100));
    }
  }

  // ---------------------------------------------------------------- contexts that look alike

  /** Pairs of strings that render the same and differ in Unicode normalisation only. */
  static List<String[]> lookAlikes() {
    String hangul = "\uD55C"; // 한, one precomposed syllable
    return List.of(
        new String[] {"\u00E9", "e\u0301"},
        new String[] {"caf\u00E9", Normalizer.normalize("caf\u00E9", Normalizer.Form.NFD)},
        new String[] {hangul, Normalizer.normalize(hangul, Normalizer.Form.NFD)});
  }

  @Test
  void lookAlikes_areNfcAndNfdOfTheSameText() {
    for (String[] p : lookAlikes()) {
      assertThat(p[0]).isNotEqualTo(p[1]);
      assertThat(Normalizer.normalize(p[1], Normalizer.Form.NFC)).isEqualTo(p[0]);
    }
    assertThat(lookAlikes().get(2)[1]).isEqualTo("\u1112\u1161\u11AB");
  }

  @Test
  void decrypt_contextDifferingOnlyInUnicodeNormalisation_isInvalidCiphertext() {
    // docs/format.md §2: contexts compare as exact UTF-8 bytes, without normalisation.
    for (String[] p : lookAlikes()) {
      for (boolean inKey : new boolean[] {true, false}) {
        EncryptionContext written = inKey ? EncryptionContext.of(p[0], "v") : EncryptionContext.of("k", p[0]);
        EncryptionContext read = inKey ? EncryptionContext.of(p[1], "v") : EncryptionContext.of("k", p[1]);
        assertThat(read.canonicalBytes()).isNotEqualTo(written.canonicalBytes());
        byte[] ct = uncached.encrypt(random(20), written);
        assertThat(uncached.decrypt(ct, written)).isEqualTo(random(20));
        assertThatThrownBy(() -> uncached.decrypt(ct, read)).as("%s in %s", p[1], inKey ? "key" : "value")
            .isExactlyInstanceOf(InvalidCiphertextException.class);
        byte[] back = uncached.encrypt(random(20), read);
        assertThatThrownBy(() -> uncached.decrypt(back, written)).isExactlyInstanceOf(InvalidCiphertextException.class);
      }
    }
  }
}
