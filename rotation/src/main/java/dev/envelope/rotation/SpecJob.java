package dev.envelope.rotation;

import dev.envelope.rotation.internal.JobEngine;
import dev.envelope.rotation.internal.JobSpec;
import java.util.Objects;

/** What {@link ReencryptJob} and {@link RewrapJob} share: a built job is its spec, run by the engine. */
abstract class SpecJob implements RotationJob {
  private final String name;
  private final JobSpec spec;

  SpecJob(String name, JobSpec spec) {
    this.name = name;
    this.spec = spec;
  }

  @Override
  public String jobId() {
    return spec.jobId();
  }

  @Override
  public RotationReport run(RotationListener listener) {
    return new JobEngine(spec).run(Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public String toString() {
    return name + "[" + spec.describe() + "]";
  }
}
