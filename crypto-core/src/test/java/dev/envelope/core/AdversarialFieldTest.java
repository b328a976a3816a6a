package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An attacker who can change stored field values (docs/fields.md §2.4): every bit flip, truncation
 * and appended byte of values of every plaintext size 0..64 fails with exactly
 * {@link InvalidCiphertextException}, and contexts that differ only in pair order are the same
 * context while contexts that differ only in Unicode normalisation are not.
 */
class AdversarialFieldTest {
  static final EncryptionContext CTX = EncryptionContext.of("table", "users", "column", "ssn", "id", "42", "tenant", "acme");
  static final byte[] APPENDED = {0x00, 0x01, 0x7F, (byte) 0x80, (byte) 0xFF};

  final FieldEncryptor fields =
      FieldEncryptor.builder().masterKey(new TestMasterKey("fields")).dataKeyStore(DataKeyStore.inMemory()).build();

  @AfterEach
  void close() {
    fields.close();
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  @Test
  void decrypt_everyBitFlipTruncationAndAppendedByte_ofEverySize0To64_isInvalidCiphertextOnly() throws Throwable {
    ShallowStack.run(this::tamperEveryWay);
  }

  private void tamperEveryWay() {
    for (int size = 0; size <= 64; size++) {
      byte[] pt = random(size);
      byte[] v = fields.encrypt(pt, CTX);
      assertThat(fields.decrypt(v, CTX)).isEqualTo(pt);
      for (int bit = 0; bit < v.length * 8; bit++) {
        byte[] bad = v.clone();
        bad[bit / 8] ^= (byte) (1 << (bit % 8));
        assertRejected(bad, "size %d, bit %d", size, bit);
      }
      for (int len = 0; len < v.length; len++) {
        assertRejected(Arrays.copyOf(v, len), "size %d, truncated to %d", size, len);
      }
      for (byte b : APPENDED) {
        byte[] longer = Arrays.copyOf(v, v.length + 1);
        longer[v.length] = b;
        assertRejected(longer, "size %d, appended %02x", size, b);
      }
      for (int extra : new int[] {2, 3, 16}) {
        assertRejected(Arrays.copyOf(v, v.length + extra), "size %d, %d zero bytes appended", size, extra);
      }
      // The untouched value still decrypts: nothing above poisoned the key or the cache.
      assertThat(fields.decrypt(v, CTX)).isEqualTo(pt);
    }
  }

  /** A plain try/catch rather than assertThatThrownBy: this runs about 40,000 times. */
  private void assertRejected(byte[] bad, String what, Object... args) {
    Throwable thrown = null;
    try {
      fields.decrypt(bad, CTX);
    } catch (Throwable t) {
      thrown = t;
    }
    if (thrown == null || thrown.getClass() != InvalidCiphertextException.class
        || !InvalidCiphertextException.MESSAGE.equals(thrown.getMessage())) {
      assertThat(thrown).as(what, args).isExactlyInstanceOf(InvalidCiphertextException.class)
          .hasMessage(InvalidCiphertextException.MESSAGE);
    }
  }

  @Test
  void decrypt_samePairsInAnotherInsertionOrder_decrypts() {
    EncryptionContext reordered = EncryptionContext.of("tenant", "acme", "id", "42", "column", "ssn", "table", "users");
    byte[] v = fields.encrypt(random(11), CTX);
    assertThat(fields.decrypt(v, reordered)).isEqualTo(random(11));
    assertThat(fields.decrypt(fields.encrypt(random(12), reordered), CTX)).isEqualTo(random(12));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"key", "value"})
  void decrypt_contextDifferingOnlyInUnicodeNormalisation_isInvalidCiphertext(String where) {
    // docs/format.md §2 (shared by fields, docs/fields.md §2.2): exact UTF-8 bytes, no normalisation.
    for (String[] p : AdversarialMessageTest.lookAlikes()) {
      EncryptionContext written = where.equals("key") ? CTX.with(p[0], "v") : CTX.with("name", p[0]);
      EncryptionContext read = where.equals("key") ? CTX.with(p[1], "v") : CTX.with("name", p[1]);
      byte[] v = fields.encrypt(random(20), written);
      assertThat(fields.decrypt(v, written)).isEqualTo(random(20));
      assertThatThrownBy(() -> fields.decrypt(v, read)).as("%s", List.of(p))
          .isExactlyInstanceOf(InvalidCiphertextException.class);
      byte[] back = fields.encrypt(random(20), read);
      assertThatThrownBy(() -> fields.decrypt(back, written)).isExactlyInstanceOf(InvalidCiphertextException.class);
    }
  }
}
