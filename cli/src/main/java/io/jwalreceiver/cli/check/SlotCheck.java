// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import static io.jwalreceiver.cli.check.Fixes.RELOAD;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlText;
import io.jwalreceiver.cli.check.Connections.Slot;
import java.util.Optional;

/**
 * The {@code slot} item: the slot named by {@code -S} exists, is physical, is not invalidated or in
 * use, and reserves WAL.
 */
final class SlotCheck {

  private SlotCheck() {}

  static CheckItem check(Connections c) {
    String item = Preflight.SLOT;
    String name = c.request.slotName();
    if (name == null) {
      return CheckItem.warn(
          item,
          "no slot given (-S): without one the server may remove WAL" + " before it is received",
          "jwalreceiver slot create NAME, then pass -S NAME here" + " and to receivewal");
    }
    String quoted = "replication slot \"" + name + "\"";
    Optional<Slot> found = c.readSlot(name);
    PgException slotError = c.slotError();
    if (slotError != null) {
      return CheckItem.notChecked(item, String.valueOf(slotError.getMessage()));
    }
    String create =
        "SQL: SELECT pg_create_physical_replication_slot("
            + SqlText.literal(name)
            + ", true);\nor: jwalreceiver slot create "
            + name;
    if (found.isEmpty()) {
      return CheckItem.fail(item, quoted + " does not exist", create);
    }
    Slot s = found.get();
    if (!s.type().equals("physical")) {
      return CheckItem.fail(
          item,
          quoted + " is a " + s.type() + " slot; streaming WAL needs a" + " physical one",
          "choose another name for a physical slot: SQL: SELECT"
              + " pg_create_physical_replication_slot('"
              + name
              + "_physical', true);");
    }
    if ("lost".equals(s.walStatus())) {
      return CheckItem.fail(
          item,
          quoted
              + " is invalidated (wal_status lost): the server"
              + " removed WAL the slot still needed",
          "SQL: SELECT pg_drop_replication_slot("
              + SqlText.literal(name)
              + ");\n"
              + create
              + "\nthe missing WAL is gone: take a new base backup; to keep it from happening"
              + " again raise max_slot_wal_keep_size in postgresql.conf and reload");
    }
    Lsn restartLsn = s.restartLsn();
    StringBuilder shown =
        new StringBuilder(quoted)
            .append(": restart_lsn ")
            .append(restartLsn == null ? "NULL" : restartLsn.toString());
    if (s.walStatus() != null) {
      shown.append(", wal_status ").append(s.walStatus());
    }
    if (s.safeWalSize() != null) {
      shown.append(", safe_wal_size ").append(s.safeWalSize());
    }
    if (s.active()) {
      return CheckItem.warn(
          item, shown + "; in use by PID " + s.activePid() + ": a second client on it is refused");
    }
    if ("unreserved".equals(s.walStatus())) {
      return CheckItem.warn(
          item,
          shown + ": past max_slot_wal_keep_size, the next checkpoint" + " may remove WAL it needs",
          "start receiving from it now, or raise the limit:"
              + " postgresql.conf: max_slot_wal_keep_size = <larger>\n"
              + RELOAD);
    }
    if (restartLsn == null) {
      return CheckItem.warn(
          item,
          shown + ": it reserves no WAL until a client first streams" + " from it",
          "start receiving from it now, or recreate it reserving WAL:\nSQL:"
              + " SELECT pg_drop_replication_slot("
              + SqlText.literal(name)
              + ");\nSQL: SELECT"
              + " pg_create_physical_replication_slot("
              + SqlText.literal(name)
              + ", true);");
    }
    if (s.walStatus() == null) {
      return CheckItem.warn(item, shown + "; could not check wal_status: " + c.noSql());
    }
    return CheckItem.ok(item, shown.toString());
  }
}
