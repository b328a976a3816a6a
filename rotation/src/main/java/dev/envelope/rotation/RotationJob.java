package dev.envelope.rotation;

/** A built {@link ReencryptJob} or {@link RewrapJob}: immutable, run on the calling thread. */
public interface RotationJob {
  /** This job's id; a job built again with the same id resumes from its checkpoint. */
  String jobId();

  /**
   * Runs until every row was scanned, the limit was reached, or an error. Row failures do not stop
   * it: check {@link RotationReport#succeeded()}.
   *
   * @throws RotationInterruptedException if the thread was interrupted (the batch in flight rolled back)
   * @throws RotationDatabaseException if the database failed (the batch in flight rolled back)
   * @throws RotationCheckpointException if the job's checkpoint row or failure records hold something
   *     this version never writes (edited by hand); an unreadable checkpoint row stops the run before
   *     anything is read or written
   * @throws dev.envelope.core.EnvelopeException for a key-service failure that is not about one row
   *     (KMS unreachable, access denied); the job is resumable
   * @throws IllegalArgumentException if the table does not fit the job (unsupported key type, or a
   *     resumed job was created for another table or column)
   */
  RotationReport run(RotationListener listener);

  default RotationReport run() {
    return run(RotationListener.noop());
  }
}
