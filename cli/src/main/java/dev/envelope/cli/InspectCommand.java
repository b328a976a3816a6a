package dev.envelope.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.envelope.core.Envelope;
import dev.envelope.core.MessageInfo;
import dev.envelope.core.WrappedKey;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
    description = "Show a message's header: version, suite, message id, master keys and versions, context, "
        + "segment size, sizes. Shows no secret and authenticates nothing.")
final class InspectCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--in", required = true, paramLabel = "PATH|-")
  String in;

  @Option(names = "--json", description = "Machine-readable output.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    MessageInfo info;
    if ("-".equals(in)) {
      info = Envelope.inspect(Main.stdin);
    } else {
      Path p = Path.of(in);
      try (InputStream s = Files.newInputStream(p)) {
        MessageInfo h = Envelope.inspect(s);
        info = new MessageInfo(h.version(), h.suite(), h.suiteName(), h.messageId(), h.segmentSize(), h.context(),
            h.keys(), h.headerLength(), Files.size(p));
      }
    }
    var out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toMap(info)));
    } else {
      out.println("format version  " + info.version());
      out.println("suite           0x" + String.format("%02x", info.suite()) + " (" + info.suiteName() + ")");
      out.println("message id      " + info.messageId());
      out.println("segment size    " + info.segmentSize() + " bytes");
      out.println("context         " + (info.context().isEmpty() ? "(empty)" : info.context().asMap()));
      out.println("master keys     " + info.keys().size());
      for (WrappedKey k : info.keys()) {
        out.println("  - " + k.provider() + ":" + k.keyId() + (k.version().isEmpty() ? "" : "  version " + k.version())
            + "  (" + k.unsafeCiphertext().length + "-byte wrapped data key)");
      }
      out.println("header          " + info.headerLength() + " bytes");
      if (info.totalLength() >= 0) {
        out.println("total           " + info.totalLength() + " bytes (plaintext " + info.plaintextLength() + " bytes)");
      }
    }
    return 0;
  }

  static Map<String, Object> toMap(MessageInfo info) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", info.version());
    m.put("suite", info.suite());
    m.put("suiteName", info.suiteName());
    m.put("messageId", info.messageId());
    m.put("segmentSize", info.segmentSize());
    m.put("context", info.context().asMap());
    List<Map<String, Object>> keys = new ArrayList<>();
    for (WrappedKey k : info.keys()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("provider", k.provider());
      e.put("keyId", k.keyId());
      e.put("version", k.version());
      e.put("wrappedKeyBytes", k.unsafeCiphertext().length);
      keys.add(e);
    }
    m.put("keys", keys);
    m.put("headerLength", info.headerLength());
    if (info.totalLength() >= 0) {
      m.put("totalLength", info.totalLength());
      m.put("plaintextLength", info.plaintextLength());
    }
    return m;
  }
}
