package dev.envelope.core;

/**
 * Runs a loop of many expected failures on a fresh thread. Every rejected ciphertext creates
 * exceptions, whose stack traces the JVM fills in frame by frame: JUnit's stack is about 70 frames
 * deep, a new thread's a handful, which makes the exhaustive tampering tests about a third faster.
 */
public final class ShallowStack {
  private ShallowStack() {}

  /** Runs {@code body} on a new thread and rethrows whatever it threw (an AssertionError, usually). */
  public static void run(Runnable body) throws Throwable {
    Throwable[] thrown = new Throwable[1];
    Thread t = new Thread(() -> {
      try {
        body.run();
      } catch (Throwable e) {
        thrown[0] = e;
      }
    }, "shallow-stack");
    t.start();
    t.join();
    if (thrown[0] != null) {
      throw thrown[0];
    }
  }
}
