package dev.envelope.benchmarks;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Encrypt and decrypt of one in-memory payload, every implementation behind {@link Codec}, warm
 * keys (the cached implementations have their data key before the first measured call).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar EncryptDecryptBenchmark -prof gc</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EncryptDecryptBenchmark {
  @Param
  public Implementation impl;

  @Param({"100", "4096", "65536", "1048576"})
  public int size;

  /**
   * Milliseconds of 4 KiB round trips before JMH's own warm-up. JDK 17 runs AES-GCM and GHASH at
   * intrinsic speed only from C2-compiled callers; a fork that only ever sees 1 MiB calls reaches
   * C2 after minutes (measured: TINK_AEAD encrypting 1 MiB at 56 MB/s after 5 s of warm-up, 2 GB/s
   * at 64 KiB), so every trial first runs the JDK's GCM code as a busy server would have.
   */
  @Param({"2000"})
  public int primeMillis;

  private Codec codec;
  private byte[] plaintext;
  private byte[] ciphertext;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    codec = impl.create();
    byte[] small = Implementation.randomBytes(4096);
    long primeEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(primeMillis);
    for (int i = 0; i < 50_000 && System.nanoTime() - primeEnd < 0; i++) {
      codec.decrypt(codec.encrypt(small));
    }
    plaintext = Implementation.randomBytes(size);
    ciphertext = codec.encrypt(plaintext);
    // A benchmark of a codec that does not round-trip would measure nothing useful.
    if (!Arrays.equals(codec.decrypt(ciphertext), plaintext)) {
      throw new IllegalStateException(impl + " does not round-trip");
    }
  }

  @Benchmark
  public byte[] encrypt() throws Exception {
    return codec.encrypt(plaintext);
  }

  @Benchmark
  public byte[] decrypt() throws Exception {
    return codec.decrypt(ciphertext);
  }
}
