package dev.envelope.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GcmPublicRandomTest {
  @Test
  void publicRandomBytes_acrossSeveralBlockRefills_neverRepeatsAnId() {
    Set<ByteBuffer> seen = new HashSet<>();
    // 512-byte blocks hold 32 ids: 1000 ids cross about 31 refills.
    for (int i = 0; i < 1000; i++) {
      byte[] id = new byte[16];
      Gcm.publicRandomBytes(id);
      assertThat(seen.add(ByteBuffer.wrap(id))).as("id %d is new", i).isTrue();
    }
  }

  @Test
  void publicRandomBytes_oddSizes_fillWholeArrays() {
    byte[] a = new byte[500];
    byte[] b = new byte[500];
    Gcm.publicRandomBytes(a);
    Gcm.publicRandomBytes(b);
    assertThat(a).isNotEqualTo(b).isNotEqualTo(new byte[500]);
  }

  @Test
  void publicRandomBytes_moreThanABlock_throws() {
    assertThatThrownBy(() -> Gcm.publicRandomBytes(new byte[513])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void publicRandomBytes_otherThreads_getOtherBytes() throws Exception {
    byte[] mine = new byte[16];
    byte[] theirs = new byte[16];
    Gcm.publicRandomBytes(mine);
    Thread t = new Thread(() -> Gcm.publicRandomBytes(theirs));
    t.start();
    t.join();
    assertThat(theirs).isNotEqualTo(mine).isNotEqualTo(new byte[16]);
  }
}
