package dev.envelope.benchmarks;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyRef;
import dev.envelope.core.MasterKey;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * In-memory AES-256-GCM master key for the cold-cache storm: wraps with the canonical context as AAD,
 * counts every call, and can sleep per call to stand in for a KMS round trip. Only cache misses
 * reach it, so it uses plain JCE rather than anything tuned.
 */
public final class AesMasterKey implements MasterKey {
  private static final int NONCE = 12;
  private static final int WRAPPED_LENGTH = NONCE + DATA_KEY_LENGTH + 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final KeyRef ref;
  private final SecretKeySpec kek;
  private final long sleepNanos;
  private final AtomicInteger calls = new AtomicInteger();

  private AesMasterKey(String name, Duration latency) {
    this.ref = new KeyRef("local", name);
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    this.kek = new SecretKeySpec(k, "AES");
    Arrays.fill(k, (byte) 0);
    this.sleepNanos = latency.toNanos();
  }

  /** A fresh random key that answers at once. */
  public static AesMasterKey generate(String name) {
    return new AesMasterKey(name, Duration.ZERO);
  }

  /** A fresh random key whose every wrap and unwrap first sleeps {@code latency}, like a KMS call. */
  public static AesMasterKey withLatency(String name, Duration latency) {
    return new AesMasterKey(name, latency);
  }

  /** Calls of {@link #wrap}, {@link #unwrap} and {@link #generateDataKey} so far. */
  public int calls() {
    return calls.get();
  }

  @Override
  public KeyRef ref() {
    return ref;
  }

  @Override
  public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
    calls.incrementAndGet();
    pause();
    byte[] out = new byte[WRAPPED_LENGTH];
    byte[] nonce = new byte[NONCE];
    RANDOM.nextBytes(nonce);
    System.arraycopy(nonce, 0, out, 0, NONCE);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, kek, new GCMParameterSpec(128, nonce));
      c.updateAAD(context.canonicalBytes());
      c.doFinal(dataKey.unsafeBytes(), 0, dataKey.length(), out, NONCE);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM wrap failed", e);
    }
    return new WrappedKey(ref.provider(), ref.keyId(), "1", out);
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
    calls.incrementAndGet();
    pause();
    byte[] in = wrapped.unsafeCiphertext();
    if (in.length != WRAPPED_LENGTH) {
      throw new InvalidCiphertextException();
    }
    byte[] out = new byte[DATA_KEY_LENGTH];
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, kek, new GCMParameterSpec(128, in, 0, NONCE));
      c.updateAAD(context.canonicalBytes());
      c.doFinal(in, NONCE, in.length - NONCE, out, 0);
      return SecretBytes.wrap(out);
    } catch (AEADBadTagException e) {
      throw new InvalidCiphertextException();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unwrap failed", e);
    }
  }

  private void pause() {
    if (sleepNanos > 0) {
      try {
        Thread.sleep(sleepNanos / 1_000_000, (int) (sleepNanos % 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while standing in for a KMS call", e);
      }
    }
  }

  @Override
  public String toString() {
    return "AesMasterKey[" + ref + "]";
  }
}
