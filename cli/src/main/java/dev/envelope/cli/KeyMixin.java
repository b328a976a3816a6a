package dev.envelope.cli;

import picocli.CommandLine.ArgGroup;

/** Shares {@link KeyOptions} between commands. */
final class KeyMixin {
  @ArgGroup(exclusive = false, multiplicity = "1")
  KeyOptions options;
}
