package dev.envelope.core.internal.field;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FieldKeyTest {
  static byte[] key(int fill) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) fill);
    return k;
  }

  @Test
  void destroy_zeroesTheBytesAndInvalidatesStamps() {
    byte[] raw = key(7);
    FieldKey k = new FieldKey(raw, "AES");
    long stamp = k.open();
    assertThat(stamp).isNotZero();
    assertThat(k.getEncoded()).isEqualTo(key(7)).isNotSameAs(raw);
    k.destroy();
    k.destroy();
    assertThat(raw).containsOnly(0);
    assertThat(k.isDestroyed()).isTrue();
    assertThat(k.stillValid(stamp)).isFalse();
    assertThat(k.open()).isZero();
    assertThat(k.toString()).doesNotContain("7");
  }

  @Test
  void sealAndOpen_destroyedKey_returnNullInsteadOfUsingZeroes() {
    FieldKey k = new FieldKey(key(1), "AES");
    byte[] ctx = EncryptionContext.of("a", "b").canonicalBytes();
    byte[] v = FieldCipher.seal(k, FieldFormat.newDataKeyId(), new byte[] {1, 2, 3}, ctx);
    assertThat(FieldCipher.open(k, v, ctx)).containsExactly(1, 2, 3);
    k.destroy();
    assertThat(FieldCipher.seal(k, 1, new byte[3], ctx)).isNull();
    assertThat(FieldCipher.open(k, v, ctx)).isNull();
    assertThat(FieldCipher.hmac(k, new byte[3], 16)).isNull();
  }

  @Test
  void open_wrongKey_throwsInvalidCiphertext() {
    byte[] ctx = EncryptionContext.empty().canonicalBytes();
    byte[] v = FieldCipher.seal(new FieldKey(key(1), "AES"), FieldFormat.newDataKeyId(), new byte[5], ctx);
    assertThatThrownBy(() -> FieldCipher.open(new FieldKey(key(2), "AES"), v, ctx))
        .isExactlyInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void seal_racingDestroy_neverReturnsAValueUnderTheZeroKey() throws Exception {
    // Encrypt while another thread zeroes the key: every value handed out must decrypt under the
    // real key, i.e. no encryption under the all-zero key ever escapes.
    byte[] ctx = EncryptionContext.empty().canonicalBytes();
    FieldKey reference = new FieldKey(key(9), "AES");
    AtomicInteger escapedBad = new AtomicInteger();
    AtomicInteger produced = new AtomicInteger();
    for (int round = 0; round < 200; round++) {
      FieldKey k = new FieldKey(key(9), "AES");
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        Thread th = new Thread(() -> {
          while (!stop.get()) {
            byte[] v = FieldCipher.seal(k, 5, new byte[8], ctx);
            if (v == null) {
              return;
            }
            produced.incrementAndGet();
            try {
              FieldCipher.open(reference, v, ctx);
            } catch (InvalidCiphertextException e) {
              escapedBad.incrementAndGet();
            }
          }
        });
        threads.add(th);
        th.start();
      }
      Thread.onSpinWait();
      k.destroy();
      stop.set(true);
      for (Thread th : threads) {
        th.join();
      }
    }
    assertThat(escapedBad).hasValue(0);
    assertThat(produced.get()).isPositive();
  }

  @Test
  void serialization_isRefused() {
    FieldKey k = new FieldKey(key(3), "AES");
    assertThatThrownBy(() -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(k))
        .isInstanceOf(NotSerializableException.class);
  }

  @Test
  void constructor_wrongLength_throws() {
    assertThatThrownBy(() -> new FieldKey(new byte[16], "AES")).isExactlyInstanceOf(IllegalArgumentException.class);
  }
}
