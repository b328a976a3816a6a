package org.slf4j.impl;

import dev.envelope.cli.leaks.CapturingLoggerFactory;
import org.slf4j.ILoggerFactory;
import org.slf4j.spi.LoggerFactoryBinder;

/**
 * The SLF4J 1.7 binding of the cli tests (the AWS SDK, the Azure SDK and Netty log through
 * SLF4J 1.7.36 here): every logger records into {@link CapturingLoggerFactory} while a test has
 * capture switched on, and is silent otherwise. The module's surefire configuration removes
 * slf4j-nop from the test class path so that this binding is the only one.
 */
public final class StaticLoggerBinder implements LoggerFactoryBinder {
  private static final StaticLoggerBinder SINGLETON = new StaticLoggerBinder();

  /** Read by SLF4J's version check. */
  public static String REQUESTED_API_VERSION = "1.6.99";

  private final ILoggerFactory factory = CapturingLoggerFactory.INSTANCE;

  private StaticLoggerBinder() {}

  public static StaticLoggerBinder getSingleton() {
    return SINGLETON;
  }

  @Override
  public ILoggerFactory getLoggerFactory() {
    return factory;
  }

  @Override
  public String getLoggerFactoryClassStr() {
    return CapturingLoggerFactory.class.getName();
  }
}
