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
 *
 * <p>The warm-up is long on purpose (see {@code @Warmup}); pass {@code -wi 5 -w 3s} when overriding.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// 15 s of warm-up: JDK 17 runs AES-GCM/GHASH at intrinsic speed only from C2-compiled code, and a
// fork that only sees 1 MiB calls (60 a second while interpreted) took 10-12 s to get there here:
// TINK_AEAD encrypting 1 MiB at 14-20 ms per call for the first 10 s, then 0.55 ms. Priming with
// smaller calls in the set-up did not shorten that.
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EncryptDecryptBenchmark {
  @Param
  public Implementation impl;

  @Param({"100", "4096", "65536", "1048576"})
  public int size;

  private Codec codec;
  private byte[] plaintext;
  private byte[] ciphertext;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    codec = impl.create();
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
