package dev.envelope.benchmarks;

import dev.envelope.core.EncryptionContext;
import java.util.Map;

/** The three-pair encryption context every benchmark binds, in each library's own form. */
final class Contexts {
  static final Map<String, String> PAIRS = Map.of(
      "tenant", "acme-corp",
      "table", "customers",
      "column", "email");
  static final EncryptionContext CONTEXT = EncryptionContext.of(PAIRS);
  /** AAD for the raw AEADs: the same canonical bytes Envelope binds, computed once. */
  static final byte[] AAD = CONTEXT.canonicalBytes();

  private Contexts() {}
}
