package dev.envelope.rotation.internal;

/** The supported id column types, and how a checkpoint's {@code last_id} text turns back into a key. */
enum IdKind {
  LONG {
    @Override
    Object parse(String s) {
      return Long.parseLong(s);
    }
  },
  STRING {
    @Override
    Object parse(String s) {
      return s;
    }
  },
  UUID {
    @Override
    Object parse(String s) {
      return java.util.UUID.fromString(s);
    }
  };

  /** The key that {@code toString()} of a key of this kind gave; IllegalArgumentException if none. */
  abstract Object parse(String s);
}
