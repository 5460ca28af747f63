// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.session.SystemIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code jwalreceiver identify}: IDENTIFY_SYSTEM and the facts a replication client needs. */
/** {@code jwalreceiver identify}: shows what IDENTIFY_SYSTEM and the server report. */
@Command(
    name = "identify",
    header = "Shows system identifier, timeline, WAL position, version (IDENTIFY_SYSTEM).",
    description = {
      "Connects for replication and shows the system identifier, timeline, current WAL",
      "position, server version and WAL segment size.",
      ""
    })
public final class IdentifyCommand extends CliCommand {

  @Mixin ConnectionOptions connection;

  @Override
  public Integer call() {
    try (ReplicationConnection c =
        ReplicationConnection.open(connection.resolve(cli, Cli.PROGRAM), cli::notice)) {
      SystemIdentity id = c.identifySystem();
      String segmentSize = c.show("wal_segment_size");
      WalSegmentSize.parseShow(segmentSize); // refuse a size the server should never report
      cli.out().println("system identifier:    " + id.systemId());
      cli.out().println("timeline:             " + id.timeline());
      cli.out().println("current WAL position: " + id.xlogPosition());
      cli.out()
          .println(
              "server version:       "
                  + c.serverVersionString()
                  + " ("
                  + c.serverVersionNum()
                  + ")");
      cli.out().println("WAL segment size:     " + segmentSize);
    }
    return ExitCodes.OK;
  }
}
