package dev.envelope.core;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The few future helpers the async paths share. Every future made here fails with the exception
 * itself, never a {@link CompletionException} around it, so callers can match on the
 * {@link EnvelopeException} type they would have caught from the synchronous method.
 */
final class Futures {
  private Futures() {}

  /**
   * Runs {@code task} on {@code executor} and completes the returned future with its result. A
   * result that arrives after the future was cancelled goes to {@code discard}, so a data key
   * nobody will read is still zeroed.
   */
  static <T> CompletableFuture<T> supply(Executor executor, Supplier<T> task, Consumer<? super T> discard) {
    CompletableFuture<T> out = new CompletableFuture<>();
    execute(executor, () -> {
      if (out.isDone()) {
        return;
      }
      T value;
      try {
        value = task.get();
      } catch (Throwable t) {
        out.completeExceptionally(t);
        return;
      }
      if (!out.complete(value)) {
        discard.accept(value);
      }
    }, out::completeExceptionally);
    return out;
  }

  /** Runs {@code task} on {@code executor}; a rejection goes to {@code rejected} on this thread. */
  static void execute(Executor executor, Runnable task, Consumer<? super RejectedExecutionException> rejected) {
    try {
      executor.execute(task);
    } catch (RejectedExecutionException e) {
      rejected.accept(e);
    }
  }

  /** Calls an SPI method that should return a future; one that throws instead yields a failed future. */
  static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> call) {
    try {
      CompletableFuture<T> f = call.get();
      return f != null ? f : CompletableFuture.failedFuture(new NullPointerException("an async SPI method returned null"));
    } catch (Throwable t) {
      return CompletableFuture.failedFuture(t);
    }
  }

  /** The exception a stage failed with, without the wrappers CompletableFuture adds. */
  static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /** Waits for {@code f} and returns its value, or throws what it failed with (unwrapped). */
  static <T> T await(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw rethrow(unwrap(e));
    }
  }

  /** What a finished future failed with (unwrapped), or null if it succeeded. */
  static Throwable failure(CompletableFuture<?> f) {
    try {
      f.join();
      return null;
    } catch (CompletionException | CancellationException e) {
      return unwrap(e);
    }
  }

  /**
   * For {@code throw rethrow(t)}: throws {@code t} if it is unchecked; a checked one (which no SPI
   * method declares, but a future can carry) becomes a non-retryable {@link KmsException}.
   */
  static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) {
      throw r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    throw new KmsException("a master-key call failed: " + t.getClass().getSimpleName(), false, t);
  }
}
