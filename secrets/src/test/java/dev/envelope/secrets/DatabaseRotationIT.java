package dev.envelope.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.envelope.testkit.jdbc.CountingDriver;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The real thing: 8 threads query through HikariCP over {@link RotatingDataSource} while a rotation
 * job, shaped like an AWS Secrets Manager rotation function, changes the database password 20 times.
 * Pooled connections are evicted at every step so that new logins happen in each phase of a
 * rotation, and the test waits until they did.
 */
class DatabaseRotationIT {
  static final String NAME = "prod/orders-db";
  static final int THREADS = 8;
  static final int ROTATIONS = 20;
  static final int POOL_SIZE = 4;

  enum Database {
    H2,
    POSTGRESQL
  }

  static String credentials(String user, String password) {
    return "{\"username\":\"" + user + "\",\"password\":\"" + password + "\",\"engine\":\"test\"}";
  }

  @ParameterizedTest
  @EnumSource(Database.class)
  void rotate20Times_under8QueryThreads_noFailedQuery(Database kind) throws Exception {
    String p0 = TestDatabase.randomPassword();
    TestDatabase db;
    if (kind == Database.H2) {
      db = TestDatabase.h2(p0);
    } else {
      Object pg = TestDatabase.postgres(p0);
      assumeTrue(pg instanceof TestDatabase, () -> "skipping the PostgreSQL variant: " + pg);
      db = (TestDatabase) pg;
    }
    try (db) {
      // Passwords are really checked, otherwise this test would prove nothing.
      assertThat(db.accepts(p0)).isTrue();
      assertThat(db.accepts(TestDatabase.randomPassword())).isFalse();

      InMemorySecretStore store = SecretStore.inMemory();
      store.put(NAME, credentials(db.user, p0));
      CountingDriver driver = new CountingDriver(db.driver());
      // A long TTL: the data source must cope with rotations through refreshNow and the pending
      // version, not because the cache happened to expire.
      try (CachingSecrets secrets = CachingSecrets.builder().store(store).ttl(Duration.ofMinutes(10)).build()) {
        RotatingDataSource ds = RotatingDataSource.builder().secrets(secrets).secretName(NAME)
            .jdbcUrl(db.url).driver(driver).build();
        HikariConfig config = new HikariConfig();
        config.setDataSource(ds);
        config.setPoolName("rotation-" + kind);
        config.setMaximumPoolSize(POOL_SIZE);
        config.setMinimumIdle(POOL_SIZE);
        config.setConnectionTimeout(10_000);
        config.setMaxLifetime(30_000); // Hikari's minimum; evictions below force the new logins

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
                  String user = TestDatabase.queryUser(c);
                  if (!user.equals(db.currentUserAnswer())) {
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

          int windowLogins = 0;
          try {
            for (int i = 1; i <= ROTATIONS; i++) {
              String next = TestDatabase.randomPassword();
              // createSecret: the new version, labelled AWSPENDING.
              String pendingId = store.putPending(NAME, credentials(db.user, next));
              evictAndAwaitLogin(pool, driver::accepted);
              // setSecret: the database now only accepts the pending password.
              db.setPassword(next);
              evictAndAwaitLogin(pool, () -> driver.acceptedWith(next));
              windowLogins += driver.acceptedWith(next);
              // finishSecret: AWSCURRENT moves to the new version.
              store.promote(NAME, pendingId);
              evictAndAwaitLogin(pool, () -> driver.acceptedWith(next));
            }
            long before = ok.get();
            awaitTrue(() -> ok.get() > before + THREADS); // still serving after the last rotation
          } finally {
            stop.set(true);
            for (Future<?> f : running) {
              f.get(30, TimeUnit.SECONDS);
            }
            workers.shutdown();
          }

          assertThat(failed.get())
              .as("failed queries; first failure: %s", firstFailure.get())
              .isZero();
          assertThat(ok.get()).isGreaterThan(ROTATIONS * THREADS);
          assertThat(windowLogins).as("logins inside rotation windows (pending version)").isGreaterThanOrEqualTo(ROTATIONS);
          assertThat(driver.accepted()).as("physical logins").isGreaterThanOrEqualTo(3 * ROTATIONS);
          assertThat(driver.rejected()).as("stale passwords the database rejected").isPositive();
          assertThat(db.accepts(p0)).isFalse();
          assertThat(TestDatabase.queryUser(openedBeforeRotations)).isEqualTo(db.currentUserAnswer());
          System.out.printf("%s: %d queries, %d logins (%d in rotation windows), %d rejected logins%n",
              kind, ok.get(), driver.accepted(), windowLogins, driver.rejected());
        }
      }
    }
  }

  /** Evicts every pooled connection and waits until the counter shows a new login. */
  private static void evictAndAwaitLogin(HikariDataSource pool, IntSupplier logins) throws InterruptedException {
    int before = logins.getAsInt();
    pool.getHikariPoolMXBean().softEvictConnections();
    awaitTrue(() -> logins.getAsInt() > before);
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no new login within 15 s after evicting the pool");
      }
      Thread.sleep(2);
    }
  }
}
