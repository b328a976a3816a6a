package dev.envelope.core;

import java.nio.file.Path;

/** Run by {@link LocalKeyStoreTest} in a second JVM: rotates a plain key file's key N times. */
public final class RotateInAnotherProcess {
  private RotateInAnotherProcess() {}

  public static void main(String[] args) {
    LocalKeyStore store = LocalKeyStore.open(Path.of(args[0]), null);
    int times = Integer.parseInt(args[2]);
    System.out.println("ready");
    System.out.flush();
    for (int i = 0; i < times; i++) {
      store.rotate(args[1]);
    }
  }
}
