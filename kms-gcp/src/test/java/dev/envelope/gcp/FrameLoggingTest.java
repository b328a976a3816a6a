package dev.envelope.gcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import dev.envelope.gcp.internal.FrameLogging;
import dev.envelope.testkit.gcp.GcpFakes;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogLevel;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogger;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.JdkLoggerFactory;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC's client frame logger hex-dumps DATA frames at DEBUG: a Cloud KMS Decrypt response is the
 * plaintext data key. Netty logs through java.util.logging here, at its most verbose.
 */
class FrameLoggingTest {
  private static final String SERVER_FRAME_LOGGER = "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler";
  private static final String OTHER = "dev.envelope.gcp.FrameLoggingTest.other";

  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler capture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      records.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private InternalLoggerFactory savedFactory;
  // Strong references, so the levels set here stay on the loggers for the test.
  private final List<Logger> loggers = List.of(Logger.getLogger(FrameLogging.CLIENT_FRAME_LOGGER),
      Logger.getLogger(SERVER_FRAME_LOGGER), Logger.getLogger(OTHER));

  @BeforeEach
  void verboseNettyLogging() {
    savedFactory = InternalLoggerFactory.getDefaultFactory();
    InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
    for (Logger l : loggers) {
      l.setLevel(Level.ALL);
      l.setUseParentHandlers(false);
      l.addHandler(capture);
    }
  }

  @AfterEach
  void restore() {
    InternalLoggerFactory.setDefaultFactory(savedFactory);
    for (Logger l : loggers) {
      l.removeHandler(capture);
      l.setUseParentHandlers(true);
      l.setLevel(null);
    }
  }

  @Test
  void silence_clientFrameLogger_dropsDebugAndTraceOnly() {
    assertThat(InternalLoggerFactory.getInstance(FrameLogging.CLIENT_FRAME_LOGGER).isDebugEnabled())
        .as("control: without the wrapper the frame logger is on").isTrue();

    FrameLogging.silence();
    InternalLoggerFactory installed = InternalLoggerFactory.getDefaultFactory();
    FrameLogging.silence();
    InternalLogger client = InternalLoggerFactory.getInstance(FrameLogging.CLIENT_FRAME_LOGGER);
    client.debug("debug {}", "frame");
    client.trace("trace");
    client.log(InternalLogLevel.DEBUG, "{} DATA: {}", "OUTBOUND", "00ff");
    client.info("info passes");
    client.log(InternalLogLevel.WARN, "warn {}", "passes");

    assertThat(InternalLoggerFactory.getDefaultFactory()).isSameAs(installed);
    assertThat(client.isDebugEnabled()).isFalse();
    assertThat(client.isTraceEnabled()).isFalse();
    assertThat(client.isEnabled(InternalLogLevel.DEBUG)).isFalse();
    assertThat(client.isInfoEnabled()).isTrue();
    assertThat(client.name()).isEqualTo(FrameLogging.CLIENT_FRAME_LOGGER);
    assertThat(records).extracting(r -> new SimpleFormatter().formatMessage(r))
        .containsExactly("info passes", "warn passes");
    assertThat(InternalLoggerFactory.getInstance(OTHER).isDebugEnabled()).isTrue();
  }

  @Test
  void unwrap_debugLoggingOnBothEnds_clientNeverDumpsTheDataKey() {
    String keyName = "projects/p/locations/global/keyRings/r/cryptoKeys/frames";
    byte[] dataKey = new byte[32];
    new SecureRandom().nextBytes(dataKey);
    String hex = HexFormat.of().formatHex(dataKey);
    EncryptionContext ctx = EncryptionContext.of("purpose", "frame-logging");
    try (GcpFakes gcp = GcpFakes.start()) {
      gcp.kms().createKey(keyName);
      try (GcpKmsMasterKey key = GcpKmsMasterKey.builder().keyName(keyName).endpoint(gcp.endpoint()).build()) {
        WrappedKey wrapped = key.wrap(SecretBytes.copyOf(dataKey), ctx);
        assertThat(key.unwrap(wrapped, ctx).toByteArray()).isEqualTo(dataKey);
      }
    }

    assertThat(records).as("control: the fake's server-side frame logger dumped the Decrypt response")
        .anyMatch(r -> r.getLoggerName().equals(SERVER_FRAME_LOGGER) && formatted(r).contains(hex));
    // gRPC's own java.util.logging messages share the logger's name; the frames are what must go.
    assertThat(records).noneMatch(r -> r.getLoggerName().equals(FrameLogging.CLIENT_FRAME_LOGGER)
        && (formatted(r).contains("INBOUND") || formatted(r).contains("OUTBOUND")));
    assertThat(records).noneMatch(r -> !r.getLoggerName().equals(SERVER_FRAME_LOGGER) && formatted(r).contains(hex));
  }

  private static String formatted(LogRecord r) {
    return new SimpleFormatter().formatMessage(r);
  }
}
