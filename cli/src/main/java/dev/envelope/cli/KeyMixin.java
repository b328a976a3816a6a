package dev.envelope.cli;

import picocli.CommandLine.Mixin;

/** Shares {@link KeyOptions} between commands. */
final class KeyMixin {
  @Mixin
  KeyOptions options;
}
