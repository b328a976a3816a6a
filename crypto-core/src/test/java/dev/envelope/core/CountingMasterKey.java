package dev.envelope.core;

import dev.envelope.core.internal.Gcm;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.spec.SecretKeySpec;

/**
 * Test master key: AES-GCM wrap with the context as AAD, counting every call, optionally slow,
 * and remembering every data key it generated so tests can check zeroization.
 */
final class CountingMasterKey implements MasterKey {
  final AtomicInteger generates = new AtomicInteger();
  final AtomicInteger wraps = new AtomicInteger();
  final AtomicInteger unwraps = new AtomicInteger();
  final List<SecretBytes> generated = new CopyOnWriteArrayList<>();
  private final KeyRef ref;
  private final SecretKeySpec key;
  volatile long sleepMillis;

  CountingMasterKey(String name) {
    this.ref = new KeyRef("test", name);
    byte[] k = new byte[32];
    Gcm.randomBytes(k);
    this.key = new SecretKeySpec(k, "AES");
  }

  @Override
  public KeyRef ref() {
    return ref;
  }

  @Override
  public DataKey generateDataKey(EncryptionContext context) {
    generates.incrementAndGet();
    sleep();
    byte[] k = new byte[32];
    Gcm.randomBytes(k);
    SecretBytes s = SecretBytes.wrap(k);
    generated.add(s);
    return new DataKey(s, doWrap(s, context));
  }

  @Override
  public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
    wraps.incrementAndGet();
    sleep();
    return doWrap(dataKey, context);
  }

  private WrappedKey doWrap(SecretBytes dataKey, EncryptionContext context) {
    byte[] nonce = new byte[12];
    Gcm.randomBytes(nonce);
    byte[] out = new byte[12 + 32 + 16];
    System.arraycopy(nonce, 0, out, 0, 12);
    byte[] aad = context.canonicalBytes();
    Gcm.encrypt(key, nonce, aad, 0, aad.length, dataKey.unsafeBytes(), 0, 32, out, 12);
    return new WrappedKey(ref.provider(), ref.keyId(), "1", out);
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
    unwraps.incrementAndGet();
    sleep();
    byte[] ct = wrapped.unsafeCiphertext();
    if (ct.length != 60) {
      throw new InvalidCiphertextException();
    }
    byte[] nonce = java.util.Arrays.copyOf(ct, 12);
    byte[] out = new byte[32];
    byte[] aad = context.canonicalBytes();
    if (!Gcm.decrypt(key, nonce, aad, 0, aad.length, ct, 12, 48, out, 0)) {
      throw new InvalidCiphertextException();
    }
    return SecretBytes.wrap(out);
  }

  private void sleep() {
    if (sleepMillis > 0) {
      try {
        Thread.sleep(sleepMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
