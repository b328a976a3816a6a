package dev.envelope.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Ticker;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The rate limit, measured on an injected clock: no test here sleeps. */
class RateLimitTest {
  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  /** Virtual time: sleeping advances it, and so does simulated work. */
  static final class FakeTime implements Ticker, Sleeper {
    final AtomicLong nanos = new AtomicLong(7 * SECOND);
    final AtomicLong slept = new AtomicLong();

    @Override
    public long read() {
      return nanos.get();
    }

    @Override
    public void sleep(long n) {
      slept.addAndGet(n);
      nanos.addAndGet(n);
    }
  }

  /** Records the virtual time of each row the job decrypts, and charges it some work. */
  private static ValueCipher timed(ValueCipher inner, FakeTime time, List<Long> stamps, long maxWorkNanos, Random rnd) {
    return new ValueCipher() {
      @Override
      public byte[] decrypt(byte[] value, EncryptionContext context) {
        stamps.add(time.read());
        time.nanos.addAndGet((long) (rnd.nextDouble() * maxWorkNanos));
        return inner.decrypt(value, context);
      }

      @Override
      public byte[] encrypt(byte[] plaintext, EncryptionContext context) {
        return inner.encrypt(plaintext, context);
      }

      @Override
      public boolean isCurrent(byte[] value) {
        return inner.isCurrent(value);
      }
    };
  }

  /** Rows in the busiest and the quietest 5-second window that lies wholly inside the run. */
  private static long[] windowExtremes(List<Long> stamps, long window) {
    long min = Long.MAX_VALUE;
    long max = 0;
    int j = 0;
    long last = stamps.get(stamps.size() - 1);
    for (int i = 0; i < stamps.size(); i++) {
      long end = stamps.get(i) + window;
      if (end > last) {
        break;
      }
      while (j < stamps.size() && stamps.get(j) < end) {
        j++;
      }
      min = Math.min(min, j - i);
      max = Math.max(max, j - i);
    }
    return new long[] {min, max};
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_rateLimit200_everyFiveSecondWindowWithin10Percent(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 1400)) {
      FakeTime time = new FakeTime();
      List<Long> stamps = new ArrayList<>();
      // Up to 4 ms of work per row against a 5 ms interval.
      ValueCipher from = timed(ValueCipher.of(f.oldEnv), time, stamps, 4 * SECOND / 1000, new Random(1));

      RotationReport r = f.reencrypt().from(from).batchSize(150).rateLimit(200).ticker(time).sleeper(time).build().run();

      assertThat(r.changed()).isEqualTo(1400);
      long[] w = windowExtremes(stamps, 5 * SECOND);
      assertThat(w[0]).isBetween(900L, 1100L);
      assertThat(w[1]).isBetween(900L, 1100L);
      double seconds = (stamps.get(stamps.size() - 1) - stamps.get(0)) / 1e9;
      assertThat(1399 / seconds).isBetween(180.0, 220.0);
      assertThat(r.elapsed().toMillis()).isBetween(6300L, 7700L); // virtual time
      assertThat(time.slept.get()).isPositive();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_workSlowerThanRate_neverSleepsAndStaysUnderLimit(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 1200)) {
      FakeTime time = new FakeTime();
      List<Long> stamps = new ArrayList<>();
      // 2.5–5 ms of work per row against a 2 ms interval: the limiter must add nothing.
      ValueCipher from = new ValueCipher() {
        final ValueCipher inner = ValueCipher.of(f.oldEnv);
        final Random rnd = new Random(2);

        @Override
        public byte[] decrypt(byte[] value, EncryptionContext context) {
          stamps.add(time.read());
          time.nanos.addAndGet(2_500_000 + rnd.nextInt(2_500_000));
          return inner.decrypt(value, context);
        }

        @Override
        public byte[] encrypt(byte[] plaintext, EncryptionContext context) {
          return inner.encrypt(plaintext, context);
        }

        @Override
        public boolean isCurrent(byte[] value) {
          return inner.isCurrent(value);
        }
      };

      f.reencrypt().from(from).rateLimit(500).ticker(time).sleeper(time).build().run();

      assertThat(time.slept.get()).isZero();
      assertThat(windowExtremes(stamps, SECOND)[1]).isLessThanOrEqualTo(400);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_pauseThenResume_noBurstAfterIdleTime(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 600)) {
      FakeTime time = new FakeTime();
      List<Long> stamps = new ArrayList<>();
      ValueCipher from = timed(ValueCipher.of(f.oldEnv), time, stamps, 0, new Random(3));
      ReencryptJob.Builder b = f.reencrypt().from(from).jobId("burst").rateLimit(100).ticker(time).sleeper(time);

      b.limit(300).build().run();
      time.nanos.addAndGet(60 * SECOND); // an hour-long pause would bank nothing either
      f.reencrypt().from(from).resume("burst").rateLimit(100).ticker(time).sleeper(time).build().run();

      List<Long> second = stamps.subList(300, 600);
      assertThat(windowExtremes(second, SECOND)[1]).isLessThanOrEqualTo(101);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_realClock_takesAsLongAsTheRateSays(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 120)) {
      long start = System.nanoTime();
      RotationReport r = f.reencrypt().rateLimit(400).build().run();
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertThat(r.changed()).isEqualTo(120);
      assertThat(millis).isGreaterThanOrEqualTo(119 * 1000 / 400 - 5);
    }
  }
}
