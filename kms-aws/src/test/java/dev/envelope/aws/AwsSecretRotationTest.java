package dev.envelope.aws;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.envelope.secrets.CachingSecrets;
import dev.envelope.secrets.RotatingDataSource;
import dev.envelope.testkit.aws.AwsFake;
import dev.envelope.testkit.jdbc.CountingDriver;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * The rotation test on the AWS fake: 8 threads query H2 (which really checks passwords;
 * the local PostgreSQL trusts every login, so it could not tell a stale password) through HikariCP
 * over {@link RotatingDataSource} reading {@link AwsSecretStore}, while a job shaped like a Secrets
 * Manager rotation function rotates the password 20 times. The pool is evicted at every step, and
 * the test waits for new logins, so each phase of each rotation really opens connections.
 */
class AwsSecretRotationTest {
  static final String NAME = "prod/orders-db";
  static final int THREADS = 8;
  static final int ROTATIONS = 20;

  static String credentials(String password) {
    return "{\"username\":\"APP\",\"password\":\"" + password + "\",\"engine\":\"h2\"}";
  }

  static String randomPassword() {
    byte[] b = new byte[12];
    ThreadLocalRandom.current().nextBytes(b);
    return "pw-" + HexFormat.of().formatHex(b);
  }

  @Test
  void rotate20TimesOnTheAwsFake_under8QueryThreads_noFailedQuery() throws Exception {
    String p0 = randomPassword();
    String url = "jdbc:h2:mem:aws-rotation-" + randomPassword();
    try (AwsFake fake = AwsFake.start();
        SecretsManagerClient admin = SecretsManagerClient.builder().endpointOverride(fake.endpoint())
            .region(Region.of(fake.region())).credentialsProvider(AwsSecretStoreFakeTest.CREDENTIALS)
            .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        SecretsManagerClient reader = SecretsManagerClient.builder().endpointOverride(fake.endpoint())
            .region(Region.of(fake.region())).credentialsProvider(AwsSecretStoreFakeTest.CREDENTIALS)
            .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
        Connection db = DriverManager.getConnection(url + ";DB_CLOSE_DELAY=-1", "SA", "admin-" + randomPassword())) {
      try (Statement s = db.createStatement()) {
        s.execute("CREATE USER APP PASSWORD '" + p0 + "'");
      }
      CountingDriver driver = new CountingDriver(new org.h2.Driver());
      // Passwords are really checked, otherwise this test would prove nothing.
      assertThat(driver.accepts(url, "APP", p0)).isTrue();
      assertThat(driver.accepts(url, "APP", randomPassword())).isFalse();
      fake.createSecret(fake.region(), NAME, credentials(p0));

      // A long TTL: rotations must be survived through refreshNow and AWSPENDING, not cache expiry.
      try (CachingSecrets secrets = CachingSecrets.builder().store(AwsSecretStore.create(reader))
          .ttl(Duration.ofMinutes(10)).build()) {
        RotatingDataSource ds = RotatingDataSource.builder().secrets(secrets).secretName(NAME)
            .jdbcUrl(url).driver(driver).build();
        HikariConfig config = new HikariConfig();
        config.setDataSource(ds);
        config.setPoolName("aws-rotation");
        config.setMaximumPoolSize(4);
        config.setMinimumIdle(4);
        config.setConnectionTimeout(10_000);
        config.setMaxLifetime(30_000);
        try (HikariDataSource pool = new HikariDataSource(config);
            Connection openedBeforeRotations = ds.getConnection()) {
          AtomicBoolean stop = new AtomicBoolean();
          AtomicLong ok = new AtomicLong();
          AtomicLong failed = new AtomicLong();
          AtomicReference<Throwable> firstFailure = new AtomicReference<>();
          ExecutorService workers = Executors.newFixedThreadPool(THREADS);
          List<Future<?>> running = new ArrayList<>();
          for (int t = 0; t < THREADS; t++) {
            running.add(workers.submit(() -> {
              while (!stop.get()) {
                try (Connection c = pool.getConnection()) {
                  String user = currentUser(c);
                  if (!user.equals("APP")) {
                    throw new AssertionError("logged in as " + user);
                  }
                  ok.incrementAndGet();
                } catch (Throwable e) {
                  failed.incrementAndGet();
                  firstFailure.compareAndSet(null, e);
                }
              }
            }));
          }

          int loginsBefore = driver.accepted();
          int windowLogins = 0;
          try {
            for (int i = 1; i <= ROTATIONS; i++) {
              String next = randomPassword();
              String currentId = admin.getSecretValue(b -> b.secretId(NAME)).versionId();
              // createSecret: the new version, labelled AWSPENDING.
              String pendingId = admin.putSecretValue(b -> b.secretId(NAME).secretString(credentials(next))
                  .versionStages("AWSPENDING")).versionId();
              evictAndAwaitLogin(pool, driver::accepted);
              // setSecret: the database now only accepts the pending password.
              try (Statement s = db.createStatement()) {
                s.execute("ALTER USER APP SET PASSWORD '" + next + "'");
              }
              evictAndAwaitLogin(pool, () -> driver.acceptedWith(next));
              windowLogins += driver.acceptedWith(next);
              // finishSecret: AWSCURRENT moves to the new version.
              admin.updateSecretVersionStage(b -> b.secretId(NAME).versionStage("AWSCURRENT")
                  .moveToVersionId(pendingId).removeFromVersionId(currentId));
              evictAndAwaitLogin(pool, () -> driver.acceptedWith(next));
            }
            long before = ok.get();
            awaitTrue(() -> ok.get() > before + THREADS);
          } finally {
            stop.set(true);
            for (Future<?> f : running) {
              f.get(30, TimeUnit.SECONDS);
            }
            workers.shutdown();
          }

          assertThat(failed.get()).as("failed queries; first failure: %s", firstFailure.get()).isZero();
          assertThat(ok.get()).isGreaterThan(ROTATIONS * THREADS);
          assertThat(driver.accepted() - loginsBefore).as("connections opened during the rotations")
              .isGreaterThanOrEqualTo(3 * ROTATIONS);
          assertThat(windowLogins).as("logins with the AWSPENDING password before it was promoted")
              .isGreaterThanOrEqualTo(ROTATIONS);
          assertThat(driver.rejected()).as("stale passwords H2 rejected").isPositive();
          assertThat(driver.accepts(url, "APP", p0)).isFalse();
          assertThat(currentUser(openedBeforeRotations)).isEqualTo("APP");
          assertThat(fake.calls().count("GetSecretValue")).isGreaterThan(ROTATIONS);
        }
      } finally {
        try (Statement s = db.createStatement()) {
          s.execute("SHUTDOWN");
        }
      }
    }
  }

  private static String currentUser(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT CURRENT_USER")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static void evictAndAwaitLogin(HikariDataSource pool, IntSupplier logins) throws InterruptedException {
    int before = logins.getAsInt();
    pool.getHikariPoolMXBean().softEvictConnections();
    awaitTrue(() -> logins.getAsInt() > before);
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached within 15 s");
      }
      Thread.sleep(2);
    }
  }
}
