package dev.envelope.cli;

import dev.envelope.core.DataKeyCache;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.LocalKeyStore;
import dev.envelope.core.LocalMasterKey;
import dev.envelope.core.MessageInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the whole story on the embedded default (local key file, temp directory): "
        + "encrypt, inspect, stream, rotate, old ciphertext still decrypting.")
final class DemoCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--keep", description = "Keep the temp directory and print its path.")
  boolean keep;

  private PrintWriter out;
  private int step;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    Path dir = Files.createTempDirectory("envelope-demo-");
    try {
      run(dir);
      out.println();
      out.println("Demo finished: every step above was checked, nothing was faked.");
      return 0;
    } finally {
      if (keep) {
        out.println("Files kept in " + dir);
      } else {
        try (Stream<Path> s = Files.walk(dir)) {
          s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private void title(String text) {
    out.println();
    out.println(++step + ". " + text);
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("demo check failed: " + what);
    }
  }

  private void run(Path dir) throws Exception {
    Path keyfile = dir.resolve("demo.keys");
    out.println("Envelope demo in " + dir + " (embedded default: a local key file)");

    title("Create a key file with master key 'orders'");
    LocalKeyStore store = LocalKeyStore.create(keyfile, null);
    store.createKey("orders");
    out.println("   " + keyfile.getFileName() + ": key 'orders' version 1"
        + (store.isEncrypted() ? " (encrypted with ENVELOPE_PASSPHRASE)" : " (plain file: the demo needs no passphrase)"));

    EncryptionContext ctx = EncryptionContext.of("tenant", "acme", "purpose", "invoice");
    byte[] invoice = "Invoice #1042: 3 widgets, EUR 99.00".getBytes(StandardCharsets.UTF_8);
    LocalMasterKey v1 = store.masterKey("orders");
    byte[] oldCiphertext;
    DataKeyCache cache = DataKeyCache.builder().build();
    try (Envelope env = Envelope.builder().masterKeys(v1).dataKeyCache(cache).build()) {
      title("Encrypt a message bound to context " + ctx.asMap());
      oldCiphertext = env.encrypt(invoice, ctx);
      out.println("   " + invoice.length + " bytes of plaintext -> " + oldCiphertext.length + " bytes of ciphertext");
      byte[] back = env.decrypt(oldCiphertext, ctx);
      check(MessageDigest.isEqual(back, invoice), "round trip");
      out.println("   decrypted with the same context: \"" + new String(back, StandardCharsets.UTF_8) + "\"");
      try {
        env.decrypt(oldCiphertext, EncryptionContext.of("tenant", "evil-corp", "purpose", "invoice"));
        check(false, "wrong context must fail");
      } catch (InvalidCiphertextException expected) {
        out.println("   decrypt with tenant=evil-corp: rejected (" + expected.getClass().getSimpleName() + ")");
      }
      byte[] tampered = oldCiphertext.clone();
      tampered[tampered.length - 3] ^= 1;
      try {
        env.decrypt(tampered, ctx);
        check(false, "tampered ciphertext must fail");
      } catch (InvalidCiphertextException expected) {
        out.println("   one flipped bit: rejected (" + expected.getClass().getSimpleName() + ")");
      }
      for (int i = 0; i < 1000; i++) {
        env.encrypt(invoice, ctx);
      }
      out.println("   1000 more messages with the data-key cache: " + cache.stats().misses()
          + " master-key call(s) in total, " + cache.stats().hits() + " cache hits");

      title("What 'envelope inspect' sees (no secrets)");
      MessageInfo info = Envelope.inspect(oldCiphertext);
      out.println("   suite " + info.suiteName() + ", message id " + info.messageId());
      out.println("   context " + info.context().asMap());
      info.keys().forEach(k -> out.println("   wrapped by " + k.provider() + ":" + k.keyId() + " version " + k.version()));

      title("Stream 8 MiB through encryptingStream / decryptingStream (64 KiB segments, constant memory)");
      byte[] big = new byte[8 << 20];
      new Random(7).nextBytes(big);
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      try (OutputStream enc = env.encryptingStream(sink, ctx)) {
        new ByteArrayInputStream(big).transferTo(enc);
      }
      byte[] streamed = sink.toByteArray();
      try (InputStream dec = env.decryptingStream(new ByteArrayInputStream(streamed), ctx)) {
        byte[] roundTrip = dec.readAllBytes();
        check(sha(roundTrip).equals(sha(big)), "stream round trip");
      }
      out.println("   " + big.length + " bytes -> " + streamed.length + " bytes ("
          + (streamed.length - big.length) + " bytes of header and tags); SHA-256 of the round trip matches");
    }

    title("Rotate master key 'orders' (new version becomes primary)");
    int version = store.rotate("orders");
    LocalMasterKey v2 = store.masterKey("orders");
    out.println("   'orders' is now at version " + version);
    try (Envelope env = Envelope.builder().masterKeys(v2).build()) {
      byte[] back = env.decrypt(oldCiphertext, ctx);
      check(MessageDigest.isEqual(back, invoice), "old ciphertext after rotation");
      out.println("   the message encrypted before rotation still decrypts (it names version "
          + Envelope.inspect(oldCiphertext).keys().get(0).version() + ")");
      byte[] fresh = env.encrypt(invoice, ctx);
      String newVersion = Envelope.inspect(fresh).keys().get(0).version();
      check(newVersion.equals(Integer.toString(version)), "new ciphertext uses the new version");
      out.println("   a new message is wrapped under version " + newVersion);
      byte[] rewrapped = env.rewrap(oldCiphertext, ctx);
      check(Envelope.inspect(rewrapped).keys().get(0).version().equals(Integer.toString(version)), "rewrap");
      check(MessageDigest.isEqual(env.decrypt(rewrapped, ctx), invoice), "rewrapped decrypts");
      out.println("   the old message rewrapped to version " + version + " without re-encrypting its body");
    }
  }

  private static String sha(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
