package dev.envelope.core.internal.field;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.DataKeyRecord;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FieldFormatTest {
  @Test
  void overhead_is37Bytes() {
    assertThat(FieldFormat.OVERHEAD).isEqualTo(1 + 8 + 12 + 16);
    assertThat(FieldFormat.HEADER_LENGTH).isEqualTo(21);
  }

  @Test
  void newDataKeyId_isWellFormedRandomAndNeverTheRootId() {
    Set<Long> ids = new HashSet<>();
    for (int i = 0; i < 10_000; i++) {
      long id = FieldFormat.newDataKeyId();
      assertThat(FieldFormat.isWellFormedDataKeyId(id)).isTrue();
      assertThat(id).isNotEqualTo(DataKeyRecord.INDEX_ROOT_ID);
      ids.add(id);
    }
    assertThat(ids).hasSize(10_000);
  }

  @Test
  void isWellFormedDataKeyId_everySingleAndDoubleBitError_isDetected() {
    // CRC is affine, so one id exercises every error pattern; a few more for good measure.
    for (int n = 0; n < 20; n++) {
      long id = FieldFormat.newDataKeyId();
      for (int i = 0; i < 64; i++) {
        assertThat(FieldFormat.isWellFormedDataKeyId(id ^ (1L << i))).as("bit %d", i).isFalse();
        for (int j = i + 1; j < 64; j++) {
          assertThat(FieldFormat.isWellFormedDataKeyId(id ^ (1L << i) ^ (1L << j))).as("bits %d,%d", i, j).isFalse();
        }
      }
    }
  }

  @Test
  void isWellFormedDataKeyId_knownAnswer() {
    // docs/fields.md §2.1: random part 01 02 03 04 05 06, check = CRC32C(01..06) & 0xFFFF.
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(new byte[] {1, 2, 3, 4, 5, 6});
    long id = 0x010203040506_0000L | (crc.getValue() & 0xFFFF);
    assertThat(FieldFormat.isWellFormedDataKeyId(id)).isTrue();
    assertThat(FieldFormat.isWellFormedDataKeyId(DataKeyRecord.INDEX_ROOT_ID)).isFalse();
  }

  @Test
  void parseDataKeyId_rejectsShortWrongVersionAndBadId() {
    byte[] v = new byte[37];
    v[0] = 1;
    FieldFormat.writeLong(v, 1, FieldFormat.newDataKeyId());
    assertThat(FieldFormat.parseDataKeyId(v)).isEqualTo(FieldFormat.readLong(v, 1));
    byte[] wrongVersion = v.clone();
    wrongVersion[0] = 2;
    assertThatThrownBy(() -> FieldFormat.parseDataKeyId(wrongVersion)).isExactlyInstanceOf(InvalidCiphertextException.class);
    assertThatThrownBy(() -> FieldFormat.parseDataKeyId(java.util.Arrays.copyOf(v, 36)))
        .isExactlyInstanceOf(InvalidCiphertextException.class);
    byte[] root = v.clone();
    FieldFormat.writeLong(root, 1, DataKeyRecord.INDEX_ROOT_ID);
    assertThatThrownBy(() -> FieldFormat.parseDataKeyId(root)).isExactlyInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void text_roundTripsAndIsCanonical() {
    for (int n = 0; n < 10; n++) {
      byte[] b = new byte[n];
      java.util.Arrays.fill(b, (byte) 0xFB);
      String t = FieldFormat.toText(b);
      if (n >= 2) {
        assertThat(FieldFormat.fromText(t)).isEqualTo(b);
      }
    }
    assertThatThrownBy(() -> FieldFormat.fromText("AB")).isExactlyInstanceOf(InvalidCiphertextException.class); // unused bits set
    assertThat(FieldFormat.fromText("AA")).containsExactly(0);
    assertThatThrownBy(() -> FieldFormat.fromText("AAA=")).isExactlyInstanceOf(InvalidCiphertextException.class);
    assertThatThrownBy(() -> FieldFormat.fromText("AA/A")).isExactlyInstanceOf(InvalidCiphertextException.class);
    assertThatThrownBy(() -> FieldFormat.fromText("AAAAA")).isExactlyInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void wrappingContexts_useReservedKeysAndNameTheRow() {
    EncryptionContext c = FieldFormat.dataKeyContext(0x0123456789abcdefL);
    assertThat(c.asMap()).containsExactly(java.util.Map.entry("envelope:field-data-key", "0123456789abcdef"));
    assertThat(FieldFormat.wrappingContext(DataKeyRecord.INDEX_ROOT_ID).asMap())
        .containsExactly(java.util.Map.entry("envelope:field-index-root", "v1"));
    assertThatThrownBy(() -> EncryptionContext.of("envelope:field-data-key", "x"))
        .isExactlyInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void indexKeyInfo_separatesNamesAndLengths() {
    assertThat(FieldFormat.indexKeyInfo("users.email", 16)).isNotEqualTo(FieldFormat.indexKeyInfo("users.email", 17));
    assertThat(FieldFormat.indexKeyInfo("a", 16)).isNotEqualTo(FieldFormat.indexKeyInfo("b", 16));
    assertThat(new String(FieldFormat.indexKeyInfo("users.email", 16), java.nio.charset.StandardCharsets.ISO_8859_1))
        .isEqualTo("ENVELOPE v1 field blind index\u0010\u000busers.email");
  }
}
