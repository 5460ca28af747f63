// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static io.jwalreceiver.cli.faults.FaultKit.SEED;
import static org.assertj.core.api.Assertions.assertThat;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The check after a fault with {@code receivewal --target}: nothing lost, nothing foreign. */
final class UploadedWal {

  private UploadedWal() {}

  /**
   * Every object under {@code wal/} holds exactly the server's segment (timeline 1 only), and the
   * store's segments together with the completed segments left in the spool form one run without a
   * gap.
   *
   * @return how many segments the run has
   */
  static int assertOneRun(ObjectStore store, Path spool, PostgresServer server) throws IOException {
    String prefix = ArchiveLayout.STORE.walPrefix();
    TreeMap<Long, String> run = new TreeMap<>();
    for (StoredObject o : store.list(prefix)) {
      String name = o.key().substring(prefix.length());
      assertThat(name).as("only completed segments of timeline 1").matches("00000001[0-9A-F]{16}");
      try (InputStream in = store.open(o.key())) {
        assertThat(in.readAllBytes())
            .as("%s holds the server's segment (seed %d)", name, SEED)
            .isEqualTo(Files.readAllBytes(FaultKit.serverSegment(server, name)));
      }
      run.put(number(name), name);
    }
    try (Stream<Path> files = Files.list(spool)) {
      files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("[0-9A-F]{24}"))
          .forEach(n -> run.put(number(n), n));
    }
    assertThat(run).as("segments archived").isNotEmpty();
    assertThat(run.lastKey() - run.firstKey() + 1)
        .as("no gap in %s (seed %d)", run.values(), SEED)
        .isEqualTo(run.size());
    return run.size();
  }

  private static long number(String segmentName) {
    return SegmentName.parse(segmentName, FaultKit.SEGMENT).segmentNumber();
  }
}
