package dev.envelope.rotation.internal;

import dev.envelope.rotation.JobState;

/** One row of the checkpoint table: where a job stands, committed with the batch it describes. */
record Checkpoint(
    String jobId,
    String kind,
    String target,
    JobState state,
    String lastId,
    long batches,
    long scanned,
    long changed,
    long skippedCurrent,
    long skippedEmpty,
    long conflicts,
    long failed) {

  static Checkpoint fresh(String jobId, String kind, String target) {
    return new Checkpoint(jobId, kind, target, JobState.RUNNING, null, 0, 0, 0, 0, 0, 0, 0);
  }

  Checkpoint withState(JobState s) {
    return new Checkpoint(jobId, kind, target, s, lastId, batches, scanned, changed, skippedCurrent, skippedEmpty,
        conflicts, failed);
  }

  Checkpoint plus(String newLastId, Counts c) {
    return new Checkpoint(jobId, kind, target, state, newLastId, batches + 1, scanned + c.scanned, changed + c.changed,
        skippedCurrent + c.skippedCurrent, skippedEmpty + c.skippedEmpty, conflicts + c.conflicts, failed + c.failed);
  }

  /** A batch's counts. */
  static final class Counts {
    long scanned;
    long changed;
    long skippedCurrent;
    long skippedEmpty;
    long conflicts;
    long failed;
  }
}
