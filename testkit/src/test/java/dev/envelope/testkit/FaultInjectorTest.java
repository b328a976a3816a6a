package dev.envelope.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class FaultInjectorTest {
  private final FaultInjector faults = new FaultInjector();

  @Test
  void beforeCall_noFault_returnsEmpty() {
    assertThat(faults.beforeCall("Decrypt")).isEmpty();
  }

  @Test
  void throttle_twice_appliesToNextTwoCallsOfThatOperationOnly() {
    faults.throttle("GenerateDataKey", 2);

    assertThat(faults.beforeCall("Decrypt")).isEmpty();
    assertThat(faults.beforeCall("GenerateDataKey")).contains(new Fault.Throttle());
    assertThat(faults.pending("GenerateDataKey")).isEqualTo(1);
    assertThat(faults.beforeCall("GenerateDataKey")).contains(new Fault.Throttle());
    assertThat(faults.beforeCall("GenerateDataKey")).isEmpty();
    assertThat(faults.pending("GenerateDataKey")).isZero();
  }

  @Test
  void add_severalFaults_usedInOrderAdded() {
    faults.throttle("Encrypt", 1).serverError("Encrypt", 1).error("Encrypt", "AccessDeniedException", 1);

    assertThat(faults.beforeCall("Encrypt")).contains(new Fault.Throttle());
    assertThat(faults.beforeCall("Encrypt")).contains(new Fault.ServerError());
    assertThat(faults.beforeCall("Encrypt")).contains(new Fault.Error("AccessDeniedException"));
    assertThat(faults.beforeCall("Encrypt")).isEmpty();
  }

  @Test
  void always_neverRunsOutUntilCleared() {
    faults.serverError("Decrypt", FaultInjector.ALWAYS);
    for (int i = 0; i < 1000; i++) {
      assertThat(faults.beforeCall("Decrypt")).contains(new Fault.ServerError());
    }
    faults.clear("Decrypt");
    assertThat(faults.beforeCall("Decrypt")).isEmpty();
  }

  @Test
  void anyOperation_appliesAfterOperationSpecificFaults() {
    faults.throttle(FaultInjector.ANY_OPERATION, 1).serverError("Decrypt", 1);

    assertThat(faults.beforeCall("Decrypt")).contains(new Fault.ServerError());
    assertThat(faults.beforeCall("Decrypt")).contains(new Fault.Throttle());
    assertThat(faults.beforeCall("Encrypt")).isEmpty();
  }

  @Test
  void latency_delaysEveryCallUntilCleared() {
    faults.latency("Decrypt", Duration.ofMillis(80));

    long start = System.nanoTime();
    assertThat(faults.beforeCall("Decrypt")).isEmpty();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(80));

    faults.clear();
    start = System.nanoTime();
    faults.beforeCall("Decrypt");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(80));
  }

  @Test
  void timeout_holdsCallUntilCleared() throws Exception {
    faults.timeout("Decrypt", 1);
    CompletableFuture<Optional<Fault>> held = CompletableFuture.supplyAsync(() -> faults.beforeCall("Decrypt"));

    assertThatThrownBy(() -> held.get(200, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
    faults.clear();
    assertThat(held.get(5, TimeUnit.SECONDS)).contains(new Fault.Timeout());
  }

  @Test
  void releaseAll_releasesHeldCallsAndLaterTimeoutsReturnAtOnce() throws Exception {
    faults.timeout("Decrypt", 2);
    CompletableFuture<Optional<Fault>> held = CompletableFuture.supplyAsync(() -> faults.beforeCall("Decrypt"));
    Thread.sleep(50);

    faults.releaseAll();

    assertThat(held.get(5, TimeUnit.SECONDS)).contains(new Fault.Timeout());
    assertThat(CompletableFuture.supplyAsync(() -> faults.beforeCall("Decrypt")).get(5, TimeUnit.SECONDS))
        .contains(new Fault.Timeout());
  }

  @Test
  void add_badArguments_throwIllegalArgument() {
    assertThatThrownBy(() -> faults.throttle("", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> faults.throttle("Decrypt", 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> faults.error("Decrypt", "", 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> faults.latency("Decrypt", Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toString_listsFaults() {
    faults.throttle("Decrypt", 2).latency("Encrypt", Duration.ofMillis(5));
    assertThat(faults.toString()).contains("Decrypt", "Throttle", "Encrypt+5ms");
  }
}
