package dev.envelope.rotation;

import dev.envelope.core.EnvelopeException;

/**
 * A job's checkpoint row, or one of its failure records, holds something this version never
 * writes: a NULL where a value belongs, an unknown state or reason, negative or inconsistent
 * counters, or a last key that does not fit the id column. The table was edited by hand or
 * written by another program.
 *
 * <p>An unreadable checkpoint row stops the run before it reads the data table or writes
 * anything; fix or delete the row (without it the job starts over, which is safe: rows already
 * under the target key are skipped without a key call). An unreadable failure record is found
 * when the report is assembled, after the run's batches committed.
 *
 * <p>The message names the job and the column, never the stored value.
 */
public class RotationCheckpointException extends EnvelopeException {
  private static final long serialVersionUID = 1L;

  public RotationCheckpointException(String jobId, String problem) {
    super("checkpoint of rotation job " + jobId + " cannot be read: " + problem);
  }
}
