package dev.envelope.cli;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "encrypt", mixinStandardHelpOptions = true,
    description = "Encrypt a file or stream under one or more master keys (constant memory at any size).")
final class EncryptCommand implements Callable<Integer> {
  @Mixin
  KeyMixin keys;

  @Option(names = "--context", paramLabel = "KEY=VALUE", description = "Encryption context pair, repeatable.")
  List<String> context;

  @Option(names = "--in", required = true, paramLabel = "PATH|-", description = "Input file, or - for stdin.")
  String in;

  @Option(names = "--out", required = true, paramLabel = "PATH|-",
      description = "Output file (written atomically), or - for stdout.")
  String out;

  @Option(names = "--segment-size", paramLabel = "BYTES", defaultValue = "65536",
      description = "Plaintext bytes per authenticated segment (default: ${DEFAULT-VALUE}).")
  int segmentSize;

  @Override
  public Integer call() throws Exception {
    EncryptionContext ctx = ContextOptions.parse(context);
    try (Envelope env = Envelope.builder().masterKeys(keys.options.resolve()).segmentSize(segmentSize).build();
        InputStream source = Files2.openInput(in)) {
      Files2.writeOutput(out, sink -> {
        try (OutputStream enc = env.encryptingStream(sink, ctx)) {
          source.transferTo(enc);
        }
      });
    }
    return 0;
  }
}
