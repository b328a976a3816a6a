package dev.envelope.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every benchmarked implementation really encrypts: it round-trips and rejects a flipped bit. */
class CodecTest {
  private static final int[] SIZES = {0, 100, 4096, (64 << 10) + 1};

  @ParameterizedTest
  @EnumSource(Implementation.class)
  void encrypt_thenDecrypt_roundTripsAndHidesPlaintext(Implementation impl) throws Exception {
    Codec codec = impl.create();
    for (int size : SIZES) {
      byte[] plaintext = Implementation.randomBytes(size);
      byte[] ciphertext = codec.encrypt(plaintext);
      assertThat(ciphertext.length).isGreaterThanOrEqualTo(size + 16);
      if (size >= 100) {
        assertThat(indexOf(ciphertext, Arrays.copyOf(plaintext, 32))).isEqualTo(-1);
      }
      assertThat(codec.decrypt(ciphertext)).isEqualTo(plaintext);
    }
  }

  @ParameterizedTest
  @EnumSource(Implementation.class)
  void decrypt_flippedLastByte_fails(Implementation impl) throws Exception {
    Codec codec = impl.create();
    byte[] ciphertext = codec.encrypt(Implementation.randomBytes(100));
    ciphertext[ciphertext.length - 1] ^= 1;
    assertThatThrownBy(() -> codec.decrypt(ciphertext)).isInstanceOf(Exception.class);
  }

  @ParameterizedTest
  @EnumSource(Implementation.class)
  void decrypt_ciphertextOfAnotherInstance_fails(Implementation impl) throws Exception {
    byte[] ciphertext = impl.create().encrypt(Implementation.randomBytes(100));
    Codec other = impl.create();
    assertThatThrownBy(() -> other.decrypt(ciphertext)).isInstanceOf(Exception.class);
  }

  @ParameterizedTest
  @EnumSource(StreamImplementation.class)
  void encryptingStream_thenDecryptingStream_roundTrips(StreamImplementation impl) throws Exception {
    StreamImplementation.StreamCodec codec = impl.create();
    byte[] plaintext = Implementation.randomBytes(3 * (64 << 10) + 123);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    try (OutputStream out = codec.encryptingStream(sink)) {
      for (int off = 0; off < plaintext.length; off += 1000) {
        out.write(plaintext, off, Math.min(1000, plaintext.length - off));
      }
    }
    byte[] ciphertext = sink.toByteArray();
    try (InputStream in = codec.decryptingStream(new ByteArrayInputStream(ciphertext))) {
      assertThat(in.readAllBytes()).isEqualTo(plaintext);
    }
    byte[] truncated = Arrays.copyOf(ciphertext, ciphertext.length - 20);
    assertThatThrownBy(() -> {
      try (InputStream in = codec.decryptingStream(new ByteArrayInputStream(truncated))) {
        in.readAllBytes();
      }
    }).isInstanceOf(Exception.class);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
