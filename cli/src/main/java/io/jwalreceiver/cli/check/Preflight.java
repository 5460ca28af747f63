// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import io.jwalreceiver.session.ConnectionConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The preflight of a primary behind {@code jwalreceiver check}: can this user, from this host,
 * stream WAL from this server into this directory through this slot, and if not, what exactly to
 * change.
 *
 * <p>It opens two connections ({@link Connections}): a plain SQL session for the catalogs and a
 * replication connection, because actually being accepted for replication is the only way to see a
 * missing {@code pg_hba.conf} line. Either may be refused; items that needed the missing one become
 * WARN "could not check", and settings fall back to {@code SHOW} over whichever connection exists.
 * Nothing is changed on the server.
 *
 * <p>This class runs the check groups in report order: {@link ServerCheck}, {@link SettingChecks},
 * {@link AccessChecks}, {@link SlotCheck}, {@link ArchiveCheck}.
 */
public final class Preflight {

  /** The items, in report order. */
  static final String SERVER = "server";

  static final String WAL_LEVEL = "wal_level";
  static final String MAX_WAL_SENDERS = "max_wal_senders";
  static final String MAX_REPLICATION_SLOTS = "max_replication_slots";
  static final String ROLE = "role";
  static final String REPLICATION_CONNECTION = "replication_connection";
  static final String SLOT = "slot";
  static final String MAX_SLOT_WAL_KEEP_SIZE = "max_slot_wal_keep_size";
  static final String ARCHIVE = "archive";

  /**
   * What to check.
   *
   * @param replication the replication connection (user, host, TLS, password) as the tools would
   *     open it
   * @param sql the same server as a plain SQL session
   * @param slotName the slot to check ({@code -S}), or null
   * @param directory the archive directory to check resuming from ({@code -D}), or null
   */
  public record Request(
      ConnectionConfig replication,
      ConnectionConfig sql,
      @Nullable String slotName,
      @Nullable Path directory) {}

  private Preflight() {}

  /**
   * Runs every check.
   *
   * @param request what to check
   * @param verbose receives progress lines (for {@code -v})
   * @param warnings receives the archive scan's warnings (skipped files), in pg_receivewal's words
   * @return the report; never throws for what it finds on the server
   */
  public static CheckReport run(
      Request request, Consumer<String> verbose, Consumer<String> warnings) {
    Connections c = new Connections(request, verbose, warnings);
    List<CheckItem> items;
    try {
      c.connect();
      items = checkAll(c);
    } finally {
      c.closeAll();
    }
    return new CheckReport(items);
  }

  private static List<CheckItem> checkAll(Connections c) {
    List<CheckItem> items = new ArrayList<>();
    Path directory = c.request.directory();
    if (!c.reachable()) {
      items.add(ServerCheck.unreachable(c));
      List<String> later =
          new ArrayList<>(
              List.of(
                  WAL_LEVEL,
                  MAX_WAL_SENDERS,
                  MAX_REPLICATION_SLOTS,
                  ROLE,
                  REPLICATION_CONNECTION,
                  SLOT,
                  MAX_SLOT_WAL_KEEP_SIZE));
      if (directory != null) {
        later.add(ARCHIVE);
      }
      for (String name : later) {
        items.add(CheckItem.notChecked(name, "no connection to the server"));
      }
      return items;
    }
    items.add(ServerCheck.check(c));
    c.readSettings();
    items.add(SettingChecks.walLevel(c));
    items.add(SettingChecks.maxWalSenders(c));
    items.add(SettingChecks.maxReplicationSlots(c));
    items.add(AccessChecks.role(c));
    items.add(AccessChecks.replicationConnection(c));
    items.add(SlotCheck.check(c));
    items.add(SettingChecks.maxSlotWalKeepSize(c));
    if (directory != null) {
      items.add(ArchiveCheck.check(c, directory));
    }
    return items;
  }
}
