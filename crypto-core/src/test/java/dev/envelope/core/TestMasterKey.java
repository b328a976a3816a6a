package dev.envelope.core;

import dev.envelope.core.internal.Gcm;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.spec.SecretKeySpec;

/**
 * Test-only master key for the field tests: AES-256-GCM wrap bound to the context, with versions
 * (a new version wraps, every version unwraps) and a count of every call, including rewraps.
 */
final class TestMasterKey implements MasterKey {
  final AtomicInteger generates = new AtomicInteger();
  final AtomicInteger wraps = new AtomicInteger();
  final AtomicInteger unwraps = new AtomicInteger();
  final AtomicInteger rewraps = new AtomicInteger();
  private final KeyRef ref;
  private final SecretKeySpec[] versions = new SecretKeySpec[8];
  private volatile int currentVersion;

  TestMasterKey(String name) {
    this.ref = new KeyRef("test", name);
    rotate();
  }

  /** A new version: wraps from now on; older versions still unwrap. */
  synchronized void rotate() {
    byte[] k = new byte[32];
    Gcm.randomBytes(k);
    versions[currentVersion + 1] = new SecretKeySpec(k, "AES");
    currentVersion++;
  }

  int currentVersion() {
    return currentVersion;
  }

  int callCount() {
    return generates.get() + wraps.get() + unwraps.get() + rewraps.get();
  }

  @Override
  public KeyRef ref() {
    return ref;
  }

  @Override
  public DataKey generateDataKey(EncryptionContext context) {
    generates.incrementAndGet();
    byte[] k = new byte[32];
    Gcm.randomBytes(k);
    SecretBytes s = SecretBytes.wrap(k);
    return new DataKey(s, doWrap(s, context));
  }

  @Override
  public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
    wraps.incrementAndGet();
    return doWrap(dataKey, context);
  }

  private WrappedKey doWrap(SecretBytes dataKey, EncryptionContext context) {
    int v = currentVersion;
    byte[] nonce = new byte[12];
    Gcm.randomBytes(nonce);
    byte[] out = new byte[12 + 32 + 16];
    System.arraycopy(nonce, 0, out, 0, 12);
    byte[] aad = context.canonicalBytes();
    Gcm.encrypt(versions[v], nonce, aad, 0, aad.length, dataKey.unsafeBytes(), 0, 32, out, 12);
    return new WrappedKey(ref.provider(), ref.keyId(), Integer.toString(v), out);
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
    unwraps.incrementAndGet();
    return doUnwrap(wrapped, context);
  }

  private SecretBytes doUnwrap(WrappedKey wrapped, EncryptionContext context) {
    int v;
    try {
      v = Integer.parseInt(wrapped.version());
    } catch (NumberFormatException e) {
      throw new InvalidCiphertextException();
    }
    byte[] ct = wrapped.unsafeCiphertext();
    if (v < 1 || v > currentVersion || ct.length != 60) {
      throw new InvalidCiphertextException();
    }
    byte[] out = new byte[32];
    byte[] aad = context.canonicalBytes();
    if (!Gcm.decrypt(versions[v], Arrays.copyOf(ct, 12), aad, 0, aad.length, ct, 12, 48, out, 0)) {
      throw new InvalidCiphertextException();
    }
    return SecretBytes.wrap(out);
  }

  /** Counted as one call, like a KMS ReEncrypt: no unwrap or wrap is counted. */
  @Override
  public WrappedKey rewrap(WrappedKey wrapped, MasterKey destination, EncryptionContext context) {
    rewraps.incrementAndGet();
    try (SecretBytes k = doUnwrap(wrapped, context)) {
      return destination instanceof TestMasterKey t ? t.doWrap(k, context) : destination.wrap(k, context);
    }
  }

  @Override
  public String toString() {
    return "TestMasterKey[" + ref + " v" + currentVersion + "]";
  }
}
