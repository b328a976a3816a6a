package dev.envelope.rotation;

/**
 * Follows a job: called on the job's thread, after each batch committed (so a batch that rolls
 * back is never reported), never with a value or key.
 */
public interface RotationListener {
  /** Before the first batch of this run; counts include earlier runs of a resumed job. */
  default void onStart(Progress progress) {}

  /** After each committed batch. */
  default void onProgress(Progress progress) {}

  /** For each row of a committed batch that failed. */
  default void onRowFailed(RowFailure failure) {}

  /** When the run ends normally (completed, or paused at its limit). */
  default void onFinish(RotationReport report) {}

  static RotationListener noop() {
    return new RotationListener() {};
  }

  /** A listener that only follows progress (start and every committed batch), e.g. for a progress bar. */
  static RotationListener onProgress(java.util.function.Consumer<Progress> consumer) {
    java.util.Objects.requireNonNull(consumer, "consumer");
    return new RotationListener() {
      @Override
      public void onStart(Progress progress) {
        consumer.accept(progress);
      }

      @Override
      public void onProgress(Progress progress) {
        consumer.accept(progress);
      }
    };
  }
}
