package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The async SPI's default methods: where they run, how they fail, what they zero. */
class MasterKeyAsyncDefaultsTest {
  static final EncryptionContext CTX = EncryptionContext.of("tenant", "42");
  static final String SPI_THREAD = "spi-default-test";

  private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, SPI_THREAD));

  @AfterEach
  void shutdown() {
    executor.shutdownNow();
  }

  /** A local key that records the thread of every synchronous call. */
  static final class Recording implements MasterKey {
    final LocalMasterKey delegate = LocalMasterKey.generate("recording");
    final List<String> threads = new CopyOnWriteArrayList<>();

    @Override
    public KeyRef ref() {
      return delegate.ref();
    }

    @Override
    public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
      threads.add(Thread.currentThread().getName());
      return delegate.wrap(dataKey, context);
    }

    @Override
    public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
      threads.add(Thread.currentThread().getName());
      return delegate.unwrap(wrapped, context);
    }
  }

  @Test
  void defaults_runTheSyncMethodsOnTheGivenExecutor_andRoundTrip() throws Exception {
    Recording key = new Recording();

    DataKey dk = key.generateDataKeyAsync(CTX, executor).get(10, TimeUnit.SECONDS);
    WrappedKey second = key.wrapAsync(dk.plaintext(), CTX, executor).get(10, TimeUnit.SECONDS);
    SecretBytes back = key.unwrapAsync(dk.wrapped(), CTX, executor).get(10, TimeUnit.SECONDS);

    assertThat(back).isEqualTo(dk.plaintext());
    assertThat(key.unwrap(second, CTX)).isEqualTo(dk.plaintext());
    // generateDataKey's default wraps; then wrapAsync and unwrapAsync; the last, direct unwrap is ours.
    assertThat(key.threads).hasSize(4);
    assertThat(key.threads.subList(0, 3)).containsOnly(SPI_THREAD);
  }

  @Test
  void unwrapAsync_wrongContext_failsWithInvalidCiphertextItself() throws Exception {
    Recording key = new Recording();
    WrappedKey w = key.generateDataKey(CTX).wrapped();

    CompletableFuture<SecretBytes> f = key.unwrapAsync(w, EncryptionContext.of("tenant", "43"), executor);

    Throwable failure = f.handle((v, e) -> e).get(10, TimeUnit.SECONDS);
    assertThat(failure).isExactlyInstanceOf(InvalidCiphertextException.class);
    assertThatThrownBy(f::get).isInstanceOf(ExecutionException.class).hasCauseExactlyInstanceOf(
        InvalidCiphertextException.class);
    assertThatThrownBy(f::join).isInstanceOf(CompletionException.class).hasCauseExactlyInstanceOf(
        InvalidCiphertextException.class);
  }

  @Test
  void defaults_executorRejects_futureFailsWithTheRejection() {
    CountingMasterKey key = new CountingMasterKey("rejected");
    Executor refusing = r -> {
      throw new RejectedExecutionException("shut down");
    };

    CompletableFuture<DataKey> f = key.generateDataKeyAsync(CTX, refusing);

    assertThat(f).isCompletedExceptionally();
    assertThat(f.handle((v, e) -> e).join()).isInstanceOf(RejectedExecutionException.class);
    assertThat(key.generates).hasValue(0);
  }

  @Test
  void generateDataKeyAsync_cancelledBeforeItRuns_noMasterKeyCall() {
    CountingMasterKey key = new CountingMasterKey("cancelled");
    Queue<Runnable> queued = new ArrayDeque<>();

    CompletableFuture<DataKey> f = key.generateDataKeyAsync(CTX, queued::add);
    f.cancel(false);
    queued.forEach(Runnable::run);

    assertThat(queued).hasSize(1);
    assertThat(key.generates).hasValue(0);
  }

  @Test
  void generateDataKeyAsync_cancelledWhileRunning_arrivingKeyIsZeroed() throws Exception {
    CountingMasterKey key = new CountingMasterKey("late");
    key.sleepMillis = 300;

    CompletableFuture<DataKey> f = key.generateDataKeyAsync(CTX, executor);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (key.generates.get() == 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(f.cancel(false)).isTrue();
    executor.submit(() -> {}).get(10, TimeUnit.SECONDS);

    assertThat(key.generated).hasSize(1);
    assertThat(key.generated.get(0).isDestroyed()).isTrue();
  }
}
