package dev.envelope.gcp.internal;

import io.grpc.netty.shaded.io.netty.util.internal.logging.CommonsLoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogLevel;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogger;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.JdkLoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.Log4J2LoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.Log4JLoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.Slf4JLoggerFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Keeps gRPC's HTTP/2 frame logger below DEBUG. The Netty transport of gRPC logs every frame a
 * client sends or receives at DEBUG under {@value #CLIENT_FRAME_LOGGER}: DATA frames as a hex dump
 * of their first 64 bytes, which for a Cloud KMS Decrypt response is the plaintext data key (and
 * for Encrypt or Secret Manager reads can be the start of a key or a secret), and HEADERS frames
 * with every value, the OAuth bearer token included. An application that runs with DEBUG logging
 * would write them to its log.
 *
 * <p>{@link #silence()} wraps the transport's logger factory so that this one logger drops DEBUG
 * and TRACE; its INFO and above, and every other logger, are untouched. The factory is global to
 * grpc-netty-shaded, so other gRPC clients in the process lose their frame dumps too. A factory of
 * the application's own (not one of Netty's) is left as it is.
 */
public final class FrameLogging {
  /** The logger gRPC's {@code Http2FrameLogger} uses on the client side. */
  public static final String CLIENT_FRAME_LOGGER = "io.grpc.netty.shaded.io.grpc.netty.NettyClientHandler";

  private FrameLogging() {}

  /** Installs the wrapper unless it is installed already; cheap enough to call per client built. */
  public static synchronized void silence() {
    InternalLoggerFactory current = InternalLoggerFactory.getDefaultFactory();
    if (current instanceof Quiet) {
      return;
    }
    Function<String, InternalLogger> create = creator(current);
    if (create != null) {
      InternalLoggerFactory.setDefaultFactory(new Quiet(create));
    }
  }

  /** The factories Netty picks by itself; their {@code newInstance} is public, the base class's is not. */
  private static @Nullable Function<String, InternalLogger> creator(InternalLoggerFactory f) {
    try {
      if (f instanceof Slf4JLoggerFactory s) {
        return s::newInstance;
      }
      if (f instanceof JdkLoggerFactory j) {
        return j::newInstance;
      }
      if (f instanceof Log4J2LoggerFactory l) {
        return l::newInstance;
      }
      if (f instanceof Log4JLoggerFactory l) {
        return l::newInstance;
      }
      if (f instanceof CommonsLoggerFactory c) {
        return c::newInstance;
      }
    } catch (LinkageError e) {
      // A factory class whose logging library is absent cannot be the one in use.
    }
    return null;
  }

  private static final class Quiet extends InternalLoggerFactory {
    private final Function<String, InternalLogger> create;

    Quiet(Function<String, InternalLogger> create) {
      this.create = create;
    }

    @Override
    protected InternalLogger newInstance(String name) {
      InternalLogger logger = create.apply(name);
      return CLIENT_FRAME_LOGGER.equals(name) ? belowInfoDropped(logger) : logger;
    }
  }

  static InternalLogger belowInfoDropped(InternalLogger delegate) {
    return (InternalLogger) Proxy.newProxyInstance(InternalLogger.class.getClassLoader(),
        new Class<?>[] {InternalLogger.class}, (proxy, method, args) -> {
          switch (method.getName()) {
            case "isTraceEnabled", "isDebugEnabled":
              return false;
            case "trace", "debug":
              return null;
            case "isEnabled", "log":
              if (args[0] == InternalLogLevel.TRACE || args[0] == InternalLogLevel.DEBUG) {
                return method.getName().equals("isEnabled") ? Boolean.FALSE : null;
              }
              break;
            default:
              break;
          }
          try {
            return method.invoke(delegate, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }
}
