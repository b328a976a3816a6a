package dev.envelope.rotation;

import java.time.Duration;

/**
 * A job's progress after a committed batch. Counts are the job's totals, over every run of it.
 *
 * @param jobId the job
 * @param scanned rows read so far
 * @param changed rows rewritten (in a dry run: rows that would be)
 * @param skippedCurrent rows already under the target key
 * @param skippedEmpty rows whose value is NULL or that were deleted while the job ran
 * @param conflictsRedone rows the application changed between the job's read and write, re-read and handled again
 * @param failed rows left untouched because they could not be migrated
 * @param estimatedTotal rows in the table when this run started, or -1 when not counted
 * @param rowsPerSecond rows scanned per second by this run
 * @param elapsed time this run has taken
 * @param eta estimated time to finish, or null when unknown
 */
public record Progress(
    String jobId,
    long scanned,
    long changed,
    long skippedCurrent,
    long skippedEmpty,
    long conflictsRedone,
    long failed,
    long estimatedTotal,
    double rowsPerSecond,
    Duration elapsed,
    Duration eta) {

  /** Percentage done, 0–100, or -1 when the total is unknown. */
  public double percent() {
    if (estimatedTotal <= 0) {
      return estimatedTotal == 0 ? 100 : -1;
    }
    return Math.min(100.0, 100.0 * scanned / estimatedTotal);
  }
}
