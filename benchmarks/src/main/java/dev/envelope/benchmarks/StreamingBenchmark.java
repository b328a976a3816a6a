package dev.envelope.benchmarks;

import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.AuxCounters;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Streams {@code totalBytes} (256 MiB) of plaintext through an encrypting stream in 8 KiB writes
 * (the buffer size of {@code InputStream.transferTo}) into a sink that only counts. Each fork gets a
 * 64 MiB heap, so a run that completes proves no implementation holds the message in memory;
 * {@code peakHeapMiB} is the most heap in use seen by a 1 ms sampler during the message, garbage
 * not yet collected included (so it shows allocation pressure as well as what the stream holds).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar StreamingBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xms64m", "-Xmx64m"})
public class StreamingBenchmark {
  private static final int WRITE = 8 << 10;

  @Param
  public StreamImplementation impl;

  @Param({"268435456"})
  public long totalBytes;

  private StreamImplementation.StreamCodec codec;
  private final byte[] chunk = Implementation.randomBytes(WRITE);
  private final MemoryMXBean memoryBean = ManagementFactory.getMemoryMXBean();
  private final AtomicLong peakUsed = new AtomicLong();
  private volatile boolean sampling;
  private Thread sampler;

  /** Secondary results reported beside the time of each iteration. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Memory {
    public long peakHeapMiB;
    public long ciphertextMiB;
  }

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    codec = impl.create();
  }

  @Setup(Level.Iteration)
  public void startSampler() {
    System.gc();
    peakUsed.set(0);
    sampling = true;
    sampler = new Thread(() -> {
      while (sampling) {
        peakUsed.accumulateAndGet(memoryBean.getHeapMemoryUsage().getUsed(), Math::max);
        LockSupport.parkNanos(1_000_000);
      }
    }, "heap-sampler");
    sampler.setDaemon(true);
    sampler.start();
  }

  @TearDown(Level.Iteration)
  public void stopSampler() throws InterruptedException {
    sampling = false;
    sampler.join();
  }

  @Benchmark
  public long encryptStream(Memory memory) throws Exception {
    CountingSink sink = new CountingSink();
    try (OutputStream out = codec.encryptingStream(sink)) {
      for (long left = totalBytes; left > 0; left -= WRITE) {
        out.write(chunk, 0, (int) Math.min(WRITE, left));
      }
    }
    if (sink.count < totalBytes) {
      throw new IllegalStateException(impl + " wrote less ciphertext than plaintext");
    }
    peakUsed.accumulateAndGet(memoryBean.getHeapMemoryUsage().getUsed(), Math::max);
    memory.peakHeapMiB = peakUsed.get() >> 20;
    memory.ciphertextMiB = sink.count >> 20;
    return sink.count;
  }

  /** Counts what it is given and keeps nothing. */
  static final class CountingSink extends OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }
}
