package dev.envelope.testkit.gcp;

import dev.envelope.testkit.internal.FakeSupport;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Google Cloud KMS and Secret Manager fakes on one plaintext gRPC port on 127.0.0.1.
 *
 * <pre>{@code
 * try (GcpFakes gcp = GcpFakes.start()) {
 *   String key = gcp.kms().createKey("projects/p/locations/global/keyRings/r/cryptoKeys/k");
 *   // point the real client at gcp.endpoint() with a plaintext channel and no credentials
 *   gcp.faults().failNext("Encrypt", Status.Code.UNAVAILABLE, 2);
 * }
 * }</pre>
 */
public final class GcpFakes implements AutoCloseable {
  private final Server server;
  private final FakeKms kms;
  private final FakeSecretManager secretManager;
  private final GcpFaults faults;

  private GcpFakes(Builder b) throws IOException {
    this.faults = new GcpFaults();
    this.kms = new FakeKms(b.clock, faults);
    this.secretManager = new FakeSecretManager(b.clock, faults);
    this.server = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.port))
        .addService(ServerInterceptors.intercept(kms.service(), faults.interceptor()))
        .addService(ServerInterceptors.intercept(secretManager.service(), faults.interceptor()))
        .build()
        .start();
  }

  /** Starts both fakes on an ephemeral loopback port with the system clock. */
  public static GcpFakes start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  /** {@code 127.0.0.1:PORT}, the endpoint to give a client. */
  public String endpoint() {
    return InetAddress.getLoopbackAddress().getHostAddress() + ":" + port();
  }

  public FakeKms kms() {
    return kms;
  }

  public FakeSecretManager secretManager() {
    return secretManager;
  }

  public GcpFaults faults() {
    return faults;
  }

  /** Stops the server and waits up to 5 s for calls in flight to end. */
  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "GcpFakes[" + endpoint() + "]";
  }

  public static final class Builder {
    private int port;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Port to bind on 127.0.0.1; 0 (the default) picks a free one. */
    public Builder port(int port) {
      this.port = FakeSupport.checkPort(port);
      return this;
    }

    /** Clock for create and destroy times, and for scheduled KMS version destruction. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public GcpFakes start() {
      try {
        return new GcpFakes(this);
      } catch (IOException e) {
        throw new UncheckedIOException("could not bind the Google Cloud fakes on 127.0.0.1:" + port, e);
      }
    }
  }
}
