package dev.envelope.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CallCounterTest {
  @Test
  void record_concurrently_countsEveryCall() throws Exception {
    CallCounter calls = new CallCounter();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    for (int i = 0; i < 8; i++) {
      pool.execute(() -> {
        for (int j = 0; j < 1000; j++) {
          calls.record("Decrypt");
        }
      });
    }
    pool.shutdown();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

    assertThat(calls.count("Decrypt")).isEqualTo(8000);
    assertThat(calls.total()).isEqualTo(8000);
  }

  @Test
  void recordFailure_splitsSuccessesAndFailures() {
    CallCounter calls = new CallCounter();
    calls.record("GenerateDataKey");
    calls.record("GenerateDataKey");
    calls.record("Encrypt");
    calls.recordFailure("GenerateDataKey");

    assertThat(calls.failures("GenerateDataKey")).isEqualTo(1);
    assertThat(calls.successes("GenerateDataKey")).isEqualTo(1);
    assertThat(calls.count("Decrypt")).isZero();
    assertThat(calls.snapshot()).containsExactly(
        java.util.Map.entry("Encrypt", 1L), java.util.Map.entry("GenerateDataKey", 2L));

    calls.reset();
    assertThat(calls.total()).isZero();
    assertThat(calls.failures("GenerateDataKey")).isZero();
  }
}
