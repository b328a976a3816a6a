package dev.envelope.cli;

import dev.envelope.core.Envelope;
import dev.envelope.rotation.RewrapJob;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "rewrap", mixinStandardHelpOptions = true,
    description = {"Re-wrap the data key in every message-format value of a column under --to-key (after a",
        "master-key rotation): only the header changes, the body is copied, no value is decrypted. Same",
        "batches, checkpoints, --rate, --dry-run and compare-and-set writes as reencrypt; rows already under",
        "--to-key are skipped. Exits " + ReencryptCommand.EXIT_ROWS_FAILED + " if some rows could not be rewrapped."})
final class RewrapCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ReencryptCommand.JobOptions job;

  @Option(names = "--from-key", paramLabel = "SCHEME:SPEC",
      description = "Master key that unwraps the current values, repeatable; not needed when --to-key is a newer "
          + "version of the same key (local key files keep old versions).")
  List<String> fromKeys = new ArrayList<>();

  @Option(names = "--to-key", required = true, paramLabel = "SCHEME:SPEC",
      description = "Master key every value ends up wrapped under, repeatable.")
  List<String> toKeys;

  @Override
  public Integer call() throws Exception {
    Envelope.Builder eb = Envelope.builder().masterKeys(job.resolve(toKeys));
    if (!fromKeys.isEmpty()) {
      eb.alsoDecryptWith(job.resolve(fromKeys).toArray(new dev.envelope.core.MasterKey[0]));
    }
    try (Envelope target = eb.build()) {
      RewrapJob.Builder b = RewrapJob.builder().to(target);
      job.configure(b);
      return job.execute(spec, "rewrap", b.build());
    }
  }
}
