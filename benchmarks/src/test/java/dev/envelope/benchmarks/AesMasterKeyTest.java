package dev.envelope.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.DataKey;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.SecretBytes;
import org.junit.jupiter.api.Test;

class AesMasterKeyTest {
  private static final EncryptionContext CTX = EncryptionContext.of("a", "1");

  @Test
  void unwrap_sameContext_returnsDataKeyAndCountsCalls() {
    AesMasterKey key = AesMasterKey.generate("k");
    try (DataKey dk = key.generateDataKey(CTX); SecretBytes back = key.unwrap(dk.wrapped(), CTX)) {
      assertThat(back).isEqualTo(dk.plaintext());
    }
    assertThat(key.calls()).isEqualTo(2);
  }

  @Test
  void unwrap_otherContext_throwsInvalidCiphertext() {
    AesMasterKey key = AesMasterKey.generate("k");
    try (DataKey dk = key.generateDataKey(CTX)) {
      assertThatThrownBy(() -> key.unwrap(dk.wrapped(), EncryptionContext.of("a", "2")))
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void unwrap_otherKey_throwsInvalidCiphertext() {
    AesMasterKey key = AesMasterKey.generate("k");
    try (DataKey dk = key.generateDataKey(CTX)) {
      assertThatThrownBy(() -> AesMasterKey.generate("k").unwrap(dk.wrapped(), CTX))
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }
}
