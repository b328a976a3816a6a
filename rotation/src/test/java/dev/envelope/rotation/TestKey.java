package dev.envelope.rotation;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyRef;
import dev.envelope.core.MasterKey;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Test master key with versions, like a local key file: wraps under its newest version with
 * AES-GCM (context as AAD), unwraps any version it holds. Counts calls.
 */
final class TestKey implements MasterKey {
  private static final SecureRandom RANDOM = new SecureRandom();
  final AtomicInteger wraps = new AtomicInteger();
  final AtomicInteger unwraps = new AtomicInteger();
  private final KeyRef ref;
  private final List<byte[]> versions;

  private TestKey(String name, List<byte[]> versions) {
    this.ref = new KeyRef("test", name);
    this.versions = List.copyOf(versions);
  }

  static TestKey create(String name) {
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    return new TestKey(name, List.of(k));
  }

  /** The same key with one more version, which becomes the one that wraps. */
  TestKey rotate() {
    List<byte[]> v = new ArrayList<>(versions);
    byte[] k = new byte[32];
    RANDOM.nextBytes(k);
    v.add(k);
    return new TestKey(ref.keyId(), v);
  }

  int version() {
    return versions.size();
  }

  /** For the child-JVM test: name and every version's bytes, hex, one per line. Test keys only. */
  void save(Path file) throws IOException {
    StringBuilder sb = new StringBuilder(ref.keyId()).append('\n');
    for (byte[] v : versions) {
      sb.append(HexFormat.of().formatHex(v)).append('\n');
    }
    Files.writeString(file, sb);
  }

  static TestKey load(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    List<byte[]> v = new ArrayList<>();
    for (String l : lines.subList(1, lines.size())) {
      v.add(HexFormat.of().parseHex(l));
    }
    return new TestKey(lines.get(0), v);
  }

  @Override
  public KeyRef ref() {
    return ref;
  }

  @Override
  public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
    wraps.incrementAndGet();
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    byte[] out = new byte[12 + 32 + 16];
    System.arraycopy(nonce, 0, out, 0, 12);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(versions.get(versions.size() - 1), "AES"),
          new GCMParameterSpec(128, nonce));
      gcm.updateAAD(context.canonicalBytes());
      gcm.doFinal(dataKey.unsafeBytes(), 0, 32, out, 12);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return new WrappedKey(ref.provider(), ref.keyId(), Integer.toString(versions.size()), out);
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
    unwraps.incrementAndGet();
    int v;
    try {
      v = Integer.parseInt(wrapped.version());
    } catch (NumberFormatException e) {
      throw new InvalidCiphertextException();
    }
    byte[] ct = wrapped.unsafeCiphertext();
    if (v < 1 || v > versions.size() || ct.length != 60) {
      throw new InvalidCiphertextException();
    }
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(versions.get(v - 1), "AES"),
          new GCMParameterSpec(128, Arrays.copyOf(ct, 12)));
      gcm.updateAAD(context.canonicalBytes());
      return SecretBytes.wrap(gcm.doFinal(ct, 12, 48));
    } catch (AEADBadTagException e) {
      throw new InvalidCiphertextException();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "TestKey[" + ref + " v" + versions.size() + "]";
  }
}
