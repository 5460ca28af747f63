// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import static io.jwalreceiver.cli.check.Fixes.DEFAULT_LIMIT;
import static io.jwalreceiver.cli.check.Fixes.RESTART;
import static io.jwalreceiver.cli.check.Fixes.SENDERS_FOR_BASEBACKUP;
import static io.jwalreceiver.cli.check.Fixes.roomFor;

import io.jwalreceiver.PgException;
import io.jwalreceiver.cli.check.Connections.Setting;
import io.jwalreceiver.session.ReplicationConnection;

/**
 * The server-settings items: {@code wal_level}, {@code max_wal_senders} (and free senders), {@code
 * max_replication_slots} (and slots in use), {@code max_slot_wal_keep_size}.
 */
final class SettingChecks {

  private SettingChecks() {}

  static CheckItem walLevel(Connections c) {
    Setting s = c.settings.get("wal_level");
    if (s == null) {
      return CheckItem.notChecked(Preflight.WAL_LEVEL, c.noSettings());
    }
    String shown = "wal_level = " + s.value() + pending(s);
    if (s.value().equals("minimal")) {
      return CheckItem.fail(
          Preflight.WAL_LEVEL,
          shown + ": the server writes too little WAL to stream",
          "postgresql.conf: wal_level = replica\n" + RESTART);
    }
    return CheckItem.ok(Preflight.WAL_LEVEL, shown);
  }

  static CheckItem maxWalSenders(Connections c) {
    String item = Preflight.MAX_WAL_SENDERS;
    Setting s = c.settings.get("max_wal_senders");
    if (s == null) {
      return CheckItem.notChecked(item, c.noSettings());
    }
    int max = Integer.parseInt(s.value());
    String shown = "max_wal_senders = " + s.value() + pending(s);
    if (max == 0) {
      Setting level = c.settings.get("wal_level");
      boolean minimal = level != null && level.value().equals("minimal");
      // Every "postgresql.conf:" line is pasteable as it stands; reasons go on the last line.
      return CheckItem.fail(
          item,
          shown + ": the server accepts no replication" + " connections",
          "postgresql.conf: max_wal_senders = "
              + DEFAULT_LIMIT
              + (minimal ? "\npostgresql.conf: wal_level = replica" : "")
              + "\n"
              + RESTART
              + (minimal ? " (wal_level = minimal allows no WAL senders)" : ""));
    }
    ReplicationConnection sql = c.sql;
    if (sql == null) {
      return CheckItem.warn(item, shown + "; could not check free senders: " + c.noSql());
    }
    // pg_stat_replication has one row per WAL sender slot in use (pg_stat_get_wal_senders()),
    // the very array max_wal_senders sizes; a walsender holds its slot from connection on,
    // streaming or not. Our own replication connection is one of them and leaves with us.
    ReplicationConnection repl = c.repl;
    int ours = repl != null ? repl.backendPid() : 0;
    int inUse;
    try {
      inUse = Connections.count(sql, "pg_catalog.pg_stat_replication WHERE pid <> " + ours);
    } catch (PgException e) {
      return CheckItem.warn(item, shown + "; could not check free senders: " + e.getMessage());
    }
    int free = max - inUse;
    String counted =
        shown + ", " + inUse + " in use by other clients, " + Math.max(free, 0) + " free";
    if (free <= 0) {
      return CheckItem.fail(
          item,
          counted,
          "postgresql.conf: max_wal_senders = "
              + roomFor(inUse)
              + "\n"
              + RESTART
              + "\nor stop an unused client: SELECT pid, application_name, client_addr"
              + " FROM pg_stat_replication;");
    }
    if (free < SENDERS_FOR_BASEBACKUP) {
      return CheckItem.warn(
          item,
          counted
              + ": enough for receivewal, not for"
              + " basebackup -X stream (needs "
              + SENDERS_FOR_BASEBACKUP
              + ")",
          "postgresql.conf: max_wal_senders = " + roomFor(inUse) + "\n" + RESTART);
    }
    return CheckItem.ok(item, counted);
  }

  static CheckItem maxReplicationSlots(Connections c) {
    String item = Preflight.MAX_REPLICATION_SLOTS;
    Setting s = c.settings.get("max_replication_slots");
    if (s == null) {
      return CheckItem.notChecked(item, c.noSettings());
    }
    int max = Integer.parseInt(s.value());
    String shown = "max_replication_slots = " + s.value() + pending(s);
    String raise = "postgresql.conf: max_replication_slots = ";
    String slotName = c.request.slotName();
    if (max == 0) {
      String message = shown + ": the server keeps no replication slots";
      String fix = raise + DEFAULT_LIMIT + "\n" + RESTART;
      return slotName != null
          ? CheckItem.fail(item, message, fix)
          : CheckItem.warn(item, message, fix);
    }
    ReplicationConnection sql = c.sql;
    if (sql == null) {
      return CheckItem.ok(item, shown + " (slots in use not counted: " + c.noSql() + ")");
    }
    int inUse;
    try {
      inUse = Connections.count(sql, "pg_catalog.pg_replication_slots");
    } catch (PgException e) {
      return CheckItem.warn(item, shown + "; could not count slots in use: " + e.getMessage());
    }
    String counted = shown + ", " + inUse + " in use";
    boolean slotMissing =
        slotName != null && c.readSlot(slotName).isEmpty() && c.slotError() == null;
    if (inUse >= max && slotMissing) {
      return CheckItem.fail(
          item,
          counted + ": slot \"" + slotName + "\" cannot be created",
          raise + roomFor(inUse) + "\n" + RESTART);
    }
    return CheckItem.ok(item, counted);
  }

  static CheckItem maxSlotWalKeepSize(Connections c) {
    String item = Preflight.MAX_SLOT_WAL_KEEP_SIZE;
    Setting s = c.settings.get("max_slot_wal_keep_size");
    if (s == null) {
      return c.settings.isEmpty()
          ? CheckItem.notChecked(item, c.noSettings())
          : CheckItem.ok(
              item,
              "max_slot_wal_keep_size does not exist before"
                  + " PostgreSQL 13: slots keep WAL without limit");
    }
    String shown = "max_slot_wal_keep_size = " + s.value() + pending(s);
    if (s.value().equals("-1")) {
      return CheckItem.ok(
          item,
          shown
              + ": slots keep WAL without limit"
              + " (a stopped receiver fills the server's pg_wal)");
    }
    return CheckItem.ok(item, shown + ": a slot further behind than this loses its WAL");
  }

  private static String pending(Setting s) {
    return s.pendingRestart() ? " (postgresql.conf was changed: a restart is pending)" : "";
  }
}
