package dev.envelope.core;

import dev.envelope.core.internal.Gcm;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.crypto.spec.SecretKeySpec;

/**
 * Test master key: AES-GCM wrap with the context as AAD, counting every call, optionally slow,
 * and remembering every data key it generated so tests can check zeroization.
 *
 * <p>Async: by default the SPI's defaults (the sync method on the caller's executor). With
 * {@link #asyncGate} set it behaves like a non-blocking KMS client instead: the async methods
 * return at once, use no thread of the caller's executor, and answer on a thread of their own
 * ({@value #IO_THREAD}…) once the gate completes.
 */
final class CountingMasterKey implements MasterKey {
  final AtomicInteger generates = new AtomicInteger();
  final AtomicInteger wraps = new AtomicInteger();
  final AtomicInteger unwraps = new AtomicInteger();
  final List<SecretBytes> generated = new CopyOnWriteArrayList<>();
  private final KeyRef ref;
  private final SecretKeySpec key;
  volatile long sleepMillis;
  static final String IO_THREAD = "counting-kms-io";
  private static final ExecutorService IO = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, IO_THREAD);
    t.setDaemon(true);
    return t;
  });
  /** Async calls made in gated mode (each also counts as the sync call it answers with). */
  final AtomicInteger asyncCalls = new AtomicInteger();
  /** Non-null: gated async mode; the answers wait for this future. */
  volatile CompletableFuture<Void> asyncGate;
  /** Thrown, once, by the next generateDataKey instead of answering. */
  final AtomicReference<RuntimeException> failNextGenerate = new AtomicReference<>();

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
    RuntimeException fail = failNextGenerate.getAndSet(null);
    if (fail != null) {
      throw fail;
    }
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

  @Override
  public CompletableFuture<DataKey> generateDataKeyAsync(EncryptionContext context, Executor executor) {
    CompletableFuture<Void> gate = asyncGate;
    return gate == null ? MasterKey.super.generateDataKeyAsync(context, executor)
        : answerLater(gate, () -> generateDataKey(context));
  }

  @Override
  public CompletableFuture<WrappedKey> wrapAsync(SecretBytes dataKey, EncryptionContext context, Executor executor) {
    CompletableFuture<Void> gate = asyncGate;
    return gate == null ? MasterKey.super.wrapAsync(dataKey, context, executor)
        : answerLater(gate, () -> wrap(dataKey, context));
  }

  @Override
  public CompletableFuture<SecretBytes> unwrapAsync(WrappedKey wrapped, EncryptionContext context, Executor executor) {
    CompletableFuture<Void> gate = asyncGate;
    return gate == null ? MasterKey.super.unwrapAsync(wrapped, context, executor)
        : answerLater(gate, () -> unwrap(wrapped, context));
  }

  private <T> CompletableFuture<T> answerLater(CompletableFuture<Void> gate, Supplier<T> answer) {
    asyncCalls.incrementAndGet();
    CompletableFuture<T> out = new CompletableFuture<>();
    gate.whenCompleteAsync((v, e) -> {
      try {
        out.complete(answer.get());
      } catch (RuntimeException x) {
        out.completeExceptionally(x);
      }
    }, IO);
    return out;
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
