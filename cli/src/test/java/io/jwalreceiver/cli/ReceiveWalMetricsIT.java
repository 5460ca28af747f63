// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code receivewal --metrics-port}: the endpoint is scraped while WAL arrives, and its figures
 * move with it; {@code --log-timestamps} prefixes every message.
 */
@Tag("postgres")
class ReceiveWalMetricsIT {

  static final int SEGMENT = ReceiveWalIT.SEGMENT.bytes();
  static final Duration WAIT = Duration.ofSeconds(90);
  static final Pattern URL = Pattern.compile("serving metrics at (http://\\S+/metrics)");
  static final Pattern TIMESTAMPED =
      Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} UTC jwalreceiver: .*");

  @TempDir Path tmp;

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void figuresMoveAsWalArrives(int major) throws Exception {
    PostgresServer server = PostgresServer.shared(ReceiveWalIT.smallSegments(major));
    String slot = "metrics_slot";
    server.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
    Path dir = Files.createDirectory(tmp.resolve("wal"));
    // Far enough ahead that only the last step of the test reaches it.
    Lsn end = Lsn.parse(server.currentWalLsn()).plus(12L * SEGMENT);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    CompletableFuture<Integer> run =
        CompletableFuture.supplyAsync(
            () -> {
              try (PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
                  PrintStream o =
                      new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)) {
                return Main.run(
                    new String[] {
                      "receivewal",
                      "-D",
                      dir.toString(),
                      "-S",
                      slot,
                      "-v",
                      "-s",
                      "1",
                      "--endpos",
                      end.toString(),
                      "--metrics-port",
                      "0",
                      "--log-timestamps"
                    },
                    o,
                    e,
                    ReceiveWalIT.env(server));
              }
            });
    try {
      String url = awaitOutput(err, run, URL).group(1);
      awaitOutput(err, run, Pattern.compile("starting log streaming at"));
      HttpClient http = HttpClient.newHttpClient();
      Map<String, Double> first = await(http, url, m -> m.get("jwalreceiver_streaming") == 1);
      // The server archived from, by name, in the log (-v) and in the metrics.
      String archivedFrom = server.host() + ":" + server.port();
      assertThat(err.toString(StandardCharsets.UTF_8))
          .contains("connected to " + archivedFrom + " (system identifier ");
      assertThat(
              http.send(
                      HttpRequest.newBuilder(URI.create(url)).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body())
          .containsPattern(
              "jwalreceiver_server_info\\{server=\""
                  + Pattern.quote(archivedFrom)
                  + "\",system_identifier=\"\\d+\"} 1");
      assertThat(first)
          .containsKeys(
              "jwalreceiver_received_lsn",
              "jwalreceiver_flushed_lsn",
              "jwalreceiver_server_lag_bytes",
              "jwalreceiver_last_error_timestamp_seconds",
              "jwalreceiver_fsync_duration_seconds_count");
      assertThat(first.get("jwalreceiver_reconnects_total")).isZero();
      // A Prometheus that prefers protobuf (native histograms on) gets it.
      HttpResponse<String> negotiated =
          http.send(
              HttpRequest.newBuilder(URI.create(url))
                  .header(
                      "Accept",
                      "application/vnd.google.protobuf;"
                          + "proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
                          + "text/plain;version=0.0.4;q=0.3")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(negotiated.statusCode()).isEqualTo(200);
      assertThat(negotiated.headers().firstValue("Content-Type"))
          .hasValueSatisfying(t -> assertThat(t).startsWith("application/vnd.google.protobuf"));
      assertThat(negotiated.body()).contains("jwalreceiver_received_bytes");
      assertThat(first.get("jwalreceiver_last_error_timestamp_seconds")).isZero();

      // WAL arrives: two segments and a switch.
      server.generateWal(2L * SEGMENT);
      server.switchWal();
      double target = Lsn.parse(server.currentWalLsn()).value();
      Map<String, Double> second =
          await(
              http,
              url,
              m ->
                  m.get("jwalreceiver_flushed_lsn") >= target
                      && m.get("jwalreceiver_segments_completed_total") >= 2);
      assertThat(second.get("jwalreceiver_received_bytes_total"))
          .isGreaterThanOrEqualTo(first.get("jwalreceiver_received_bytes_total") + 2.0 * SEGMENT);
      assertThat(second.get("jwalreceiver_received_lsn")).isGreaterThanOrEqualTo(target);
      assertThat(second.get("jwalreceiver_received_lsn"))
          .isGreaterThanOrEqualTo(second.get("jwalreceiver_flushed_lsn"));
      assertThat(second.get("jwalreceiver_fsync_duration_seconds_count"))
          .isGreaterThan(first.get("jwalreceiver_fsync_duration_seconds_count"));
      assertThat(second.get("jwalreceiver_fsync_duration_seconds_sum")).isGreaterThan(0);
      assertThat(second.get("jwalreceiver_server_wal_end_lsn")).isGreaterThanOrEqualTo(target);
      // Both sides are read at scrape time, the lag a moment later than the positions.
      assertThat(second.get("jwalreceiver_server_lag_bytes"))
          .isNotNegative()
          .isLessThanOrEqualTo(
              second.get("jwalreceiver_server_wal_end_lsn")
                  - first.get("jwalreceiver_flushed_lsn"));
      assertThat(second.get("jwalreceiver_timeline")).isEqualTo(1);

      // The server ends the connection: a reconnect, an error time, streaming again.
      long before = System.currentTimeMillis() / 1000;
      server.queryString(
          "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
              + " WHERE slot_name = '"
              + slot
              + "'");
      Map<String, Double> third =
          await(
              http,
              url,
              // The gauges are read one by one at scrape time, so one scrape may see the reconnect
              // counted and streaming on before it sees the error time set: wait for all three.
              m ->
                  m.get("jwalreceiver_reconnects_total") == 1
                      && m.get("jwalreceiver_streaming") == 1
                      && m.get("jwalreceiver_last_error_timestamp_seconds") > 0);
      assertThat(third.get("jwalreceiver_last_error_timestamp_seconds"))
          .isGreaterThanOrEqualTo((double) before);

      // Past the end position: receivewal stops, and the endpoint with it.
      while (Lsn.parse(server.currentWalLsn()).isBefore(end.plus(1))) {
        server.generateWal(SEGMENT);
      }
      assertThat(run.get(WAIT.toSeconds(), TimeUnit.SECONDS))
          .as(err.toString(StandardCharsets.UTF_8))
          .isZero();
      assertThatThrownBy(
              () ->
                  http.send(
                      HttpRequest.newBuilder(URI.create(url)).build(),
                      HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(ConnectException.class);
      // Every message is timestamped, pg_receivewal's text after the prefix.
      List<String> lines = err.toString(StandardCharsets.UTF_8).lines().toList();
      assertThat(lines).isNotEmpty().allMatch(l -> TIMESTAMPED.matcher(l).matches());
      assertThat(lines).anyMatch(l -> l.contains(" UTC jwalreceiver: finished segment at "));
    } finally {
      // Stop a run a failed assertion left behind the only way it stops: past its end position.
      while (!run.isDone() && Lsn.parse(server.currentWalLsn()).isBefore(end.plus(1))) {
        server.generateWal(SEGMENT);
      }
      run.handle((code, e) -> code).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      ReceiveWalIT.awaitSlotInactive(server, slot);
      ReceiveWalIT.dropSlot(server, slot);
    }
  }

  /** Waits for a line matching {@code p} in the output, failing early when the run ended. */
  private static Matcher awaitOutput(
      ByteArrayOutputStream err, CompletableFuture<Integer> run, Pattern p)
      throws InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Matcher m = p.matcher(err.toString(StandardCharsets.UTF_8));
      if (m.find()) {
        return m;
      }
      if (run.isDone()) {
        throw new AssertionError("receivewal ended: " + err);
      }
      Thread.sleep(50);
    }
    throw new AssertionError("no " + p + " in " + err);
  }

  /** Scrapes until {@code condition} holds (within {@link #WAIT}); returns that scrape. */
  private static Map<String, Double> await(
      HttpClient http, String url, Predicate<Map<String, Double>> condition)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Map<String, Double> m = scrape(http, url);
    while (!condition.test(m)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("metrics never reached the expected state: " + m);
      }
      Thread.sleep(100);
      m = scrape(http, url);
    }
    return m;
  }

  /** The samples without labels of one scrape, by name. */
  static Map<String, Double> scrape(HttpClient http, String url)
      throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type"))
        .hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    Map<String, Double> samples = new HashMap<>();
    for (String line : r.body().split("\n")) {
      if (line.isEmpty() || line.startsWith("#") || line.contains("{")) {
        continue;
      }
      String[] parts = line.split(" ");
      samples.put(parts[0], Double.valueOf(parts[1]));
    }
    return samples;
  }
}
