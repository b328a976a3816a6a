package dev.envelope.rotation;

/** The state recorded in a job's checkpoint. */
public enum JobState {
  /** A run is (or was, if its process died) working on the job; resuming is allowed. */
  RUNNING,
  /** The run stopped at its {@code limit}; resume to go on. */
  PAUSED,
  /** The run was interrupted; resume to go on. */
  INTERRUPTED,
  /** The run stopped on an error that is not about one row (database, KMS, access); resume after fixing it. */
  FAILED,
  /** Every row was scanned. Rows that failed are listed in the report and were left untouched. */
  COMPLETED
}
