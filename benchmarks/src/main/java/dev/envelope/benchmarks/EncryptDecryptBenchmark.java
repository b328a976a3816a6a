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
