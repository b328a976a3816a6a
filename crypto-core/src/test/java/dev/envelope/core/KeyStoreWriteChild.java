package dev.envelope.core;

import java.nio.file.Path;

/**
 * Run by {@link LocalKeyStoreWriteFailureTest} in a second JVM whose file-size limit is below the
 * key file's size: one {@code rotate} or {@code createKey} on a plain key file, then what the
 * store holds in memory and after a reload. Prints results, never key material.
 */
public final class KeyStoreWriteChild {
  private KeyStoreWriteChild() {}

  public static void main(String[] args) {
    LocalKeyStore store = LocalKeyStore.open(Path.of(args[0]), null);
    try {
      if (args[1].equals("rotate")) {
        System.out.println("OK " + store.rotate("orders"));
      } else {
        store.createKey(args[1]);
        System.out.println("OK created");
      }
    } catch (KeyFileException e) {
      System.out.println("FAILED " + e.getMessage());
    }
    System.out.println("MEMORY " + store.list());
    store.reload();
    System.out.println("RELOADED " + store.list());
  }
}
