package dev.envelope.rotation;

import java.time.Duration;
import java.util.List;

/**
 * What a job did, over every run of it. Always {@code scanned == changed + skippedCurrent +
 * skippedEmpty + failed}; {@code conflictsRedone} counts rows among them that needed a re-read.
 *
 * @param jobId the job's id (pass it to {@code resume} to continue)
 * @param state the job's state after this run
 * @param dryRun whether nothing was written (counts say what would change)
 * @param scanned rows read
 * @param changed rows rewritten (in a dry run: rows that would be)
 * @param skippedCurrent rows already under the target key
 * @param skippedEmpty rows whose value was NULL, or deleted while the job ran
 * @param conflictsRedone rows changed by the application between read and write and handled again
 * @param failed rows left untouched
 * @param failures the failed rows, in key order, at most {@code maxReportedFailures} of them
 * @param elapsed this run's duration
 */
public record RotationReport(
    String jobId,
    JobState state,
    boolean dryRun,
    long scanned,
    long changed,
    long skippedCurrent,
    long skippedEmpty,
    long conflictsRedone,
    long failed,
    List<RowFailure> failures,
    Duration elapsed) {

  public RotationReport {
    failures = List.copyOf(failures);
  }

  /** True when every row was scanned and none failed: the only outcome a caller should exit 0 on. */
  public boolean succeeded() {
    return state == JobState.COMPLETED && failed == 0;
  }

  @Override
  public String toString() {
    return "RotationReport[job=" + jobId + ", state=" + state + (dryRun ? ", dry run" : "") + ", scanned=" + scanned
        + ", changed=" + changed + ", skippedCurrent=" + skippedCurrent + ", skippedEmpty=" + skippedEmpty
        + ", conflictsRedone=" + conflictsRedone + ", failed=" + failed + ", elapsed=" + elapsed + "]";
  }
}
