package dev.envelope.benchmarks;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result file ({@code -rf json}) into the Markdown tables of benchmarks/README.md,
 * ratios computed within the one run:
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.envelope.benchmarks.ResultsTable results.json</pre>
 */
public final class ResultsTable {
  private static final String BASELINE = Implementation.TINK_AEAD.name();

  private ResultsTable() {}

  /** One JMH result row. */
  record Row(String benchmark, String method, Map<String, String> params, double score, double error,
      String unit, Map<String, Double> secondary, Map<String, Double> secondaryMax) {
    String param(String name) {
      return params.getOrDefault(name, "");
    }

    double secondary(String name) {
      return secondary.getOrDefault(name, Double.NaN);
    }

    /** The largest per-iteration value; JMH sums event counters over iterations in {@code score}. */
    double secondaryMax(String name) {
      return secondaryMax.getOrDefault(name, Double.NaN);
    }
  }

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: ResultsTable <jmh-result.json>");
      System.exit(2);
    }
    List<Row> rows;
    try (Reader r = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
      rows = parse(JsonParser.parseReader(r).getAsJsonArray());
    }
    System.out.print(render(rows));
  }

  static List<Row> parse(JsonArray results) {
    List<Row> rows = new ArrayList<>();
    for (JsonElement e : results) {
      JsonObject o = e.getAsJsonObject();
      String benchmark = o.get("benchmark").getAsString();
      Map<String, String> params = new LinkedHashMap<>();
      if (o.has("params")) {
        for (Map.Entry<String, JsonElement> p : o.getAsJsonObject("params").entrySet()) {
          params.put(p.getKey(), p.getValue().getAsString());
        }
      }
      JsonObject primary = o.getAsJsonObject("primaryMetric");
      Map<String, Double> secondary = new LinkedHashMap<>();
      Map<String, Double> secondaryMax = new LinkedHashMap<>();
      if (o.has("secondaryMetrics")) {
        for (Map.Entry<String, JsonElement> s : o.getAsJsonObject("secondaryMetrics").entrySet()) {
          JsonObject metric = s.getValue().getAsJsonObject();
          JsonElement score = metric.get("score");
          if (score != null && score.isJsonPrimitive() && score.getAsJsonPrimitive().isNumber()) {
            secondary.put(s.getKey(), score.getAsDouble());
          }
          if (metric.has("rawData")) {
            double max = Double.NaN;
            for (JsonElement fork : metric.getAsJsonArray("rawData")) {
              for (JsonElement v : fork.getAsJsonArray()) {
                max = Double.isNaN(max) ? v.getAsDouble() : Math.max(max, v.getAsDouble());
              }
            }
            secondaryMax.put(s.getKey(), max);
          }
        }
      }
      JsonElement error = primary.get("scoreError");
      rows.add(new Row(benchmark, benchmark.substring(benchmark.lastIndexOf('.') + 1), params,
          primary.get("score").getAsDouble(),
          error != null && error.getAsJsonPrimitive().isNumber() ? error.getAsDouble() : Double.NaN,
          primary.get("scoreUnit").getAsString(), secondary, secondaryMax));
    }
    return rows;
  }

  static String render(List<Row> rows) {
    StringBuilder out = new StringBuilder();
    List<Row> array = rows.stream().filter(r -> r.benchmark().endsWith("EncryptDecryptBenchmark." + r.method())).toList();
    if (!array.isEmpty()) {
      out.append("| op | size | implementation | µs/op | ± | CPU µs/op | MB/s | B/op | B/op − size | × ").append(BASELINE)
          .append(" (wall) | × ").append(BASELINE).append(" (CPU) |\n");
      out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      List<Row> sorted = new ArrayList<>(array);
      sorted.sort(Comparator.comparing(Row::method).reversed()
          .thenComparingInt(r -> Integer.parseInt(r.param("size")))
          .thenComparingInt(r -> implOrder(r.param("impl"))));
      for (Row r : sorted) {
        int size = Integer.parseInt(r.param("size"));
        Row base = find(array, r.method(), r.param("size"), BASELINE);
        double cpu = r.secondary("cpu.time.norm");
        double alloc = r.secondary("gc.alloc.rate.norm");
        out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
            r.method(), sizeLabel(size), r.param("impl"), num(r.score()), num(r.error()), num(cpu),
            num(size / r.score()), whole(alloc), whole(alloc - size),
            base == null ? "" : ratio(r.score() / base.score()),
            base == null ? "" : ratio(cpu / base.secondary("cpu.time.norm"))));
      }
    }
    List<Row> streams = rows.stream().filter(r -> r.benchmark().contains("StreamingBenchmark")).toList();
    if (!streams.isEmpty()) {
      out.append("\n| streaming | implementation | ms per message | ± | CPU ms | MB/s | B/op | max heap in use MiB (1 ms samples, -Xmx64m) |\n");
      out.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
      for (Row r : streams) {
        double bytes = Double.parseDouble(r.param("totalBytes"));
        double ms = r.score();
        out.append(String.format(Locale.ROOT, "| %s MiB | %s | %s | %s | %s | %s | %s | %s |%n",
            whole(bytes / (1 << 20)), r.param("impl"), num(ms), num(r.error()),
            num(r.secondary("cpu.time.norm") / 1000.0), num(bytes / (ms * 1000.0)),
            whole(r.secondary("gc.alloc.rate.norm")), whole(r.secondaryMax("peakHeapMiB"))));
      }
    }
    return out.toString();
  }

  private static int implOrder(String name) {
    try {
      return Implementation.valueOf(name).ordinal();
    } catch (IllegalArgumentException e) {
      return Integer.MAX_VALUE;
    }
  }

  private static Row find(List<Row> rows, String method, String size, String impl) {
    for (Row r : rows) {
      if (r.method().equals(method) && r.param("size").equals(size) && r.param("impl").equals(impl)) {
        return r;
      }
    }
    return null;
  }

  private static String sizeLabel(int size) {
    if (size >= 1 << 20 && size % (1 << 20) == 0) {
      return (size >> 20) + " MiB";
    }
    if (size >= 1 << 10 && size % (1 << 10) == 0) {
      return (size >> 10) + " KiB";
    }
    return size + " B";
  }

  private static String num(double v) {
    if (Double.isNaN(v)) {
      return "";
    }
    if (Math.abs(v) >= 100) {
      return String.format(Locale.ROOT, "%,.0f", v);
    }
    if (Math.abs(v) >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String whole(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String ratio(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.2f×", v);
  }
}
