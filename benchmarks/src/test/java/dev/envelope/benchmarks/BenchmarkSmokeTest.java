package dev.envelope.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Smoke mode: every benchmark method runs for every implementation, in-process, one short
 * iteration at the smallest size. It checks that each combination executed, never how fast.
 */
class BenchmarkSmokeTest {
  @Test
  void everyBenchmarkMethod_everyImplementation_executes() throws Exception {
    Options options = new OptionsBuilder()
        .include("^dev\\.envelope\\.benchmarks\\.")
        .param("size", "100")
        .param("totalBytes", String.valueOf(1 << 20))
        .forks(0)
        .warmupIterations(0)
        .measurementIterations(1)
        .measurementTime(TimeValue.milliseconds(100))
        .shouldFailOnError(true)
        .verbosity(VerboseMode.SILENT)
        .build();
    Collection<RunResult> results = new Runner(options).run();

    Set<String> ran = new HashSet<>();
    for (RunResult r : results) {
      assertThat(r.getPrimaryResult().getSampleCount()).isPositive();
      ran.add(r.getParams().getBenchmark() + "/" + r.getParams().getParam("impl"));
    }
    Set<String> expected = new HashSet<>();
    expected.addAll(combinations(EncryptDecryptBenchmark.class, Implementation.values()));
    expected.addAll(combinations(StreamingBenchmark.class, StreamImplementation.values()));
    assertThat(ran).isEqualTo(expected);
  }

  private static Set<String> combinations(Class<?> benchmark, Enum<?>[] impls) {
    Set<String> out = new HashSet<>();
    for (Method m : benchmark.getMethods()) {
      if (m.isAnnotationPresent(Benchmark.class)) {
        for (Enum<?> impl : impls) {
          out.add(benchmark.getName() + "." + m.getName() + "/" + impl.name());
        }
      }
    }
    assertThat(out).isNotEmpty();
    return out;
  }
}
