package dev.envelope.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * Process CPU time per operation ({@code -prof dev.envelope.benchmarks.CpuTimeProfiler}). On a
 * shared machine wall-clock time per operation includes the time other processes held the cores;
 * CPU time does not, so ratios between rows drift less with the load. It does include this JVM's
 * GC and JIT threads, which is fair: allocation costs GC time.
 */
public final class CpuTimeProfiler implements InternalProfiler {
  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private long start;

  @Override
  public String getDescription() {
    return "process CPU time per operation";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    start = os.getProcessCpuTime();
  }

  @Override
  public Collection<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
      IterationResult result) {
    long ops = result.getMetadata().getAllOps();
    if (ops <= 0) {
      return List.of();
    }
    double nsPerOp = (double) (os.getProcessCpuTime() - start) / ops;
    return List.of(new ScalarResult("cpu.time.norm", nsPerOp / 1000.0, "us/op", AggregationPolicy.AVG));
  }
}
