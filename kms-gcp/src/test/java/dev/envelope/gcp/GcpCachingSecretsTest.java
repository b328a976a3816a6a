package dev.envelope.gcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import dev.envelope.secrets.CachingSecrets;
import dev.envelope.secrets.SecretValue;
import dev.envelope.testkit.gcp.GcpFakes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CachingSecrets over GcpSecretStore, the real client and the Secret Manager fake. */
class GcpCachingSecretsTest {
  private static final String PROJECT = "projects/envelope-test";
  private static final String DB = PROJECT + "/secrets/orders-db";

  private GcpFakes fakes;
  private SecretManagerServiceClient client;
  private CachingSecrets secrets;

  @BeforeEach
  void start() {
    fakes = GcpFakes.start();
    client = RealClients.secretManager(fakes);
    fakes.secretManager().createSecret(DB);
    fakes.secretManager().addVersion(DB, "{\"username\":\"app\",\"password\":\"first\"}".getBytes(UTF_8));
    secrets = CachingSecrets.builder().store(GcpSecretStore.create(client, PROJECT)).ttl(Duration.ofMinutes(5)).build();
    fakes.faults().reset();
  }

  @AfterEach
  void stop() {
    secrets.close();
    client.close();
    fakes.close();
  }

  @Test
  void get_32ThreadsOnColdCache_oneAccessSecretVersion() throws Exception {
    // Slow the service down so every thread arrives while the first load is still in flight.
    fakes.faults().latency("AccessSecretVersion", Duration.ofMillis(300));
    int threads = 32;
    CyclicBarrier start = new CyclicBarrier(threads);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<SecretValue>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          start.await();
          return secrets.get("orders-db");
        }));
      }
      for (Future<SecretValue> f : results) {
        SecretValue v = f.get(10, TimeUnit.SECONDS);
        assertThat(v.versionId()).isEqualTo("1");
        assertThat(v.asString()).contains("first");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(fakes.faults().calls("AccessSecretVersion")).isEqualTo(1);
  }

  @Test
  void refreshNow_newVersionAdded_pickedUpAndListenerTold() {
    List<String> changes = new CopyOnWriteArrayList<>();
    secrets.onChange("orders-db", (old, now) -> changes.add(old.versionId() + "->" + now.versionId()));
    assertThat(secrets.get("orders-db").versionId()).isEqualTo("1");
    assertThat(secrets.get("orders-db").versionId()).isEqualTo("1");
    assertThat(fakes.faults().calls("AccessSecretVersion")).isEqualTo(1);

    fakes.secretManager().addVersion(DB, "{\"username\":\"app\",\"password\":\"second\"}".getBytes(UTF_8));
    // Cached until told otherwise.
    assertThat(secrets.get("orders-db").versionId()).isEqualTo("1");

    SecretValue refreshed = secrets.refreshNow("orders-db");

    assertThat(refreshed.versionId()).isEqualTo("2");
    assertThat(refreshed.asString()).contains("second");
    assertThat(changes).containsExactly("1->2");
    assertThat(secrets.get("orders-db").versionId()).isEqualTo("2");
    assertThat(fakes.faults().calls("AccessSecretVersion")).isEqualTo(2);
  }

  @Test
  void refreshNow_newestVersionDisabled_rollsBackAndListenerTold() {
    fakes.secretManager().addVersion(DB, "{\"username\":\"app\",\"password\":\"bad\"}".getBytes(UTF_8));
    List<String> changes = new CopyOnWriteArrayList<>();
    secrets.onChange("orders-db", (old, now) -> changes.add(old.versionId() + "->" + now.versionId()));
    assertThat(secrets.get("orders-db").versionId()).isEqualTo("2");

    fakes.secretManager().setVersionEnabled(DB + "/versions/2", false);

    assertThat(secrets.refreshNow("orders-db").versionId()).isEqualTo("1");
    assertThat(changes).containsExactly("2->1");
  }
}
