package dev.envelope.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonParser;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultsTableTest {
  private static String result(String method, String impl, int size, double us, double cpu, double bytes) {
    return """
        {"benchmark": "dev.envelope.benchmarks.EncryptDecryptBenchmark.%s", "mode": "avgt",
         "params": {"impl": "%s", "size": "%d"},
         "primaryMetric": {"score": %s, "scoreError": 0.1, "scoreUnit": "us/op"},
         "secondaryMetrics": {"cpu.time.norm": {"score": %s, "scoreUnit": "us/op"},
                              "gc.alloc.rate.norm": {"score": %s, "scoreUnit": "B/op"}}}
        """.formatted(method, impl, size, us, cpu, bytes);
  }

  @Test
  void render_twoImplementations_ratiosAgainstTinkWithinTheSameRun() {
    String json = "[" + result("encrypt", "TINK_AEAD", 4096, 2.0, 1.0, 5000) + ","
        + result("encrypt", "ENVELOPE_MESSAGE", 4096, 3.0, 2.5, 6000) + "]";
    List<ResultsTable.Row> rows = ResultsTable.parse(JsonParser.parseString(json).getAsJsonArray());

    String table = ResultsTable.render(rows);

    assertThat(table).contains("| encrypt | 4 KiB | ENVELOPE_MESSAGE | 3.00 | 0.10 | 2.50 | 1,365 | 6,000 | 1,904 | 1.50× | 2.50× |");
    assertThat(table).contains("| encrypt | 4 KiB | TINK_AEAD | 2.00 | 0.10 | 1.00 | 2,048 | 5,000 | 904 | 1.00× | 1.00× |");
    // Rows follow the enum order: Envelope before Tink.
    assertThat(table.indexOf("ENVELOPE_MESSAGE")).isLessThan(table.indexOf("| TINK_AEAD"));
  }

  @Test
  void render_streamingRow_reportsThroughputAndPeakHeap() {
    String json = """
        [{"benchmark": "dev.envelope.benchmarks.StreamingBenchmark.encryptStream", "mode": "ss",
          "params": {"impl": "ENVELOPE_MESSAGE", "totalBytes": "268435456"},
          "primaryMetric": {"score": 200.0, "scoreError": 5.0, "scoreUnit": "ms/op"},
          "secondaryMetrics": {"peakHeapMiB": {"score": 40.0, "scoreUnit": "#", "rawData": [[8.0, 9.0, 7.0, 8.0, 8.0]]}}}]
        """;
    String table = ResultsTable.render(ResultsTable.parse(JsonParser.parseString(json).getAsJsonArray()));

    // The heap column is the largest iteration's sample, not JMH's sum over iterations.
    assertThat(table).contains("| 256 MiB | ENVELOPE_MESSAGE | 200 | 5.00 |  | 1,342 |  | 9 |");
  }
}
