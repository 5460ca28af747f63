// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.compress.Compression;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Waits;
import io.jwalreceiver.wal.WalReceiver;
import io.jwalreceiver.wal.segment.WalArchiver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The README's example of embedding {@code receivewal}, compiled and run against a real server: the
 * block between the {@code README-BEGIN receivewal} and {@code README-END receivewal} lines is what
 * the README shows.
 */
@Tag("postgres")
class EmbedReceiveWalExampleIT {

  @TempDir Path tmp;

  static List<Integer> versions() {
    return PgVersions.selected();
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("versions")
  void archivesSegmentsIntoADirectory(int major) throws IOException {
    PostgresServer server =
        PostgresServer.shared(PostgresServer.Options.of(major).withInitdbArgs("--wal-segsize=1"));
    server.queryString("SELECT pg_create_physical_replication_slot('archive', true)");
    String host = server.host();
    int port = server.port();
    String user = PostgresServer.REPL_TRUST;
    Path archive = Files.createDirectory(tmp.resolve("archive"));
    // Without a slot position to resume from (READ_REPLICATION_SLOT is 15+), the receiver starts
    // where the server's WAL ends, as pg_receivewal 13/14 does: so the WAL to archive is written
    // once the receiver streams, up to an end position fixed before it starts.
    Lsn end =
        Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"))
            .plus(3L * (1 << 20) + (1 << 19));
    ExecutorService runner = Executors.newSingleThreadExecutor();
    try {
      Future<?> streaming =
          runner.submit(
              () -> {
                // README-BEGIN receivewal
                ConnectionConfig config =
                    ConnectionConfig.of(host, port, user); // .toBuilder().password(...).build()
                WalReceiver receiver =
                    WalArchiver.builder(config)
                        .slot("archive") // a physical slot: no WAL is lost in between
                        .target(archive) // an existing directory
                        .compression(Compression.parse("gzip")) // <segment>.gz, as -Z gzip
                        .statusInterval(Duration.ofSeconds(10))
                        .endPosition(end) // or stop with receiver.requestStop()
                        .build();
                receiver.run(); // streams, reconnecting after failures
                // README-END receivewal
                return null;
              });
      Waits.await(
          Duration.ofSeconds(60),
          () -> segmentFiles(archive) > 0 || streaming.isDone(),
          "the receiver to open its first segment");
      server.generateWal(4L << 20);
      streaming.get(2, TimeUnit.MINUTES);
    } catch (ExecutionException | InterruptedException | TimeoutException e) {
      throw new AssertionError("the example's receiver failed", e);
    } finally {
      runner.shutdownNow();
      server.queryString("SELECT pg_drop_replication_slot('archive')");
    }

    try (Stream<Path> files = Files.list(archive)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .filteredOn(name -> name.matches("[0-9A-F]{24}\\.gz"))
          .hasSizeGreaterThanOrEqualTo(3);
    }
    assertThat(archive.resolve(".jwalreceiver")).doesNotExist();
  }

  private static long segmentFiles(Path archive) {
    try (Stream<Path> files = Files.list(archive)) {
      return files.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}.*")).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
