// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.session.SystemIdentity;
import io.jwalreceiver.wal.WalReceiver;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** {@code receivewal}: pg_receivewal's verbose messages and its always-shown ones. */
final class ReceiveWalMessages implements WalReceiver.Listener {

  private final Cli cli;
  private final boolean verbose;
  private final boolean noLoop;
  private final @Nullable ReceiveWalUploads uploads;

  ReceiveWalMessages(
      Cli cli, boolean verbose, boolean noLoop, @Nullable ReceiveWalUploads uploads) {
    this.cli = cli;
    this.verbose = verbose;
    this.noLoop = noLoop;
    this.uploads = uploads;
  }

  @Override
  public void info(String message) {
    if (verbose) {
      cli.info(message);
    }
  }

  @Override
  public void connected(String server, SystemIdentity identity) {
    // Ours alone: under pg_receivewal's name, -v prints exactly pg_receivewal's lines.
    if (verbose && cli.tool() == null) {
      cli.info(
          "connected to "
              + server
              + " (system identifier "
              + identity.systemId()
              + ", timeline "
              + identity.timeline()
              + ")");
    }
  }

  @Override
  public void timelineSwitched(TimelineId from, TimelineId to, Lsn start) {
    if (verbose) {
      cli.info("switched to timeline " + to + " at " + start);
    }
  }

  @Override
  public void connecting() {
    if (uploads != null) {
      uploads.connecting();
    }
  }

  @Override
  public void disconnected(PgException cause, Duration retryIn) {
    if (uploads != null) {
      uploads.disconnected();
    }
    cli.error(null, cause);
    if (!noLoop) {
      cli.info("disconnected; waiting " + retryIn.toSeconds() + " seconds to try again");
    }
  }
}
