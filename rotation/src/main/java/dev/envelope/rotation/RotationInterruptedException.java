package dev.envelope.rotation;

import dev.envelope.core.EnvelopeException;

/**
 * The job's thread was interrupted. The batch in flight was rolled back, the checkpoint names the
 * last committed batch, and the thread's interrupt flag is set again.
 */
public class RotationInterruptedException extends EnvelopeException {
  private static final long serialVersionUID = 1L;

  public RotationInterruptedException(String jobId) {
    super("rotation job " + jobId + " was interrupted; resume it to go on");
  }
}
