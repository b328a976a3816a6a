package dev.envelope.cli;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "decrypt", mixinStandardHelpOptions = true,
    description = {"Decrypt a file or stream. Only the given --key master keys are used.",
        "To a file, output appears only if the whole message authenticated. To stdout, each segment is",
        "written after it authenticated; a failure later exits 1 after some plaintext was written."})
final class DecryptCommand implements Callable<Integer> {
  @Mixin
  KeyMixin keys;

  @Option(names = "--context", paramLabel = "KEY=VALUE", description = "Encryption context pair, repeatable; must match exactly.")
  List<String> context;

  @Option(names = "--in", required = true, paramLabel = "PATH|-", description = "Input file, or - for stdin.")
  String in;

  @Option(names = "--out", required = true, paramLabel = "PATH|-", description = "Output file (atomic), or - for stdout.")
  String out;

  @Override
  public Integer call() throws Exception {
    EncryptionContext ctx = ContextOptions.parse(context);
    try (Envelope env = Envelope.builder().masterKeys(keys.options.resolve()).build();
        InputStream source = Files2.openInput(in)) {
      InputStream plain = env.decryptingStream(source, ctx);
      Files2.writeOutput(out, sink -> plain.transferTo(sink));
    }
    return 0;
  }
}
