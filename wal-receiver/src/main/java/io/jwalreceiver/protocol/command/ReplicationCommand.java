// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.command;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.SqlText;
import io.jwalreceiver.TimelineId;
import org.jspecify.annotations.Nullable;

/**
 * The replication commands (protocol-notes §2). Each renders its own text for a given server
 * version ({@code server_version_num}, e.g. 150004).
 */
public sealed interface ReplicationCommand {

  /** The command text sent in a Query message. */
  String text(int serverVersionNum);

  /** {@code IDENTIFY_SYSTEM}. */
  record IdentifySystem() implements ReplicationCommand {
    @Override
    public String text(int serverVersionNum) {
      return "IDENTIFY_SYSTEM";
    }
  }

  /** {@code SHOW name}. */
  record Show(String parameter) implements ReplicationCommand {
    public Show {
      if (!parameter.matches("[a-z_][a-z0-9_.]*")) {
        throw new IllegalArgumentException("invalid parameter name: \"" + parameter + "\"");
      }
    }

    @Override
    public String text(int serverVersionNum) {
      return "SHOW " + parameter;
    }
  }

  /** {@code TIMELINE_HISTORY tli}. */
  record TimelineHistory(TimelineId timeline) implements ReplicationCommand {
    @Override
    public String text(int serverVersionNum) {
      return "TIMELINE_HISTORY " + Integer.toUnsignedString(timeline.value());
    }
  }

  /**
   * {@code CREATE_REPLICATION_SLOT "name" [TEMPORARY] PHYSICAL …}: the parenthesised option list on
   * 15+ (as pg_basebackup 15+ sends it), the keyword form before.
   */
  record CreateReplicationSlot(String slotName, boolean temporary, boolean reserveWal)
      implements ReplicationCommand {
    public CreateReplicationSlot {
      SqlText.validateSlotName(slotName);
    }

    @Override
    public String text(int serverVersionNum) {
      StringBuilder sb = new StringBuilder("CREATE_REPLICATION_SLOT ");
      sb.append(SqlText.identifier(slotName));
      if (temporary) {
        sb.append(" TEMPORARY");
      }
      sb.append(" PHYSICAL");
      if (reserveWal) {
        sb.append(serverVersionNum >= 150000 ? " (RESERVE_WAL)" : " RESERVE_WAL");
      }
      return sb.toString();
    }
  }

  /** {@code DROP_REPLICATION_SLOT "name" [WAIT]}. */
  record DropReplicationSlot(String slotName, boolean waitWhileActive)
      implements ReplicationCommand {
    public DropReplicationSlot {
      SqlText.validateSlotName(slotName);
    }

    @Override
    public String text(int serverVersionNum) {
      return "DROP_REPLICATION_SLOT "
          + SqlText.identifier(slotName)
          + (waitWhileActive ? " WAIT" : "");
    }
  }

  /** {@code READ_REPLICATION_SLOT "name"} (15+). */
  record ReadReplicationSlot(String slotName) implements ReplicationCommand {
    public ReadReplicationSlot {
      SqlText.validateSlotName(slotName);
    }

    @Override
    public String text(int serverVersionNum) {
      return "READ_REPLICATION_SLOT " + SqlText.identifier(slotName);
    }
  }

  /**
   * {@code START_REPLICATION [SLOT "name"] PHYSICAL X/X TIMELINE tli}, as the tools send it.
   *
   * @param slotName the slot, or null
   */
  record StartReplication(@Nullable String slotName, Lsn start, TimelineId timeline)
      implements ReplicationCommand {
    public StartReplication {
      if (slotName != null) {
        SqlText.validateSlotName(slotName);
      }
    }

    @Override
    public String text(int serverVersionNum) {
      StringBuilder sb = new StringBuilder("START_REPLICATION ");
      if (slotName != null) {
        sb.append("SLOT ").append(SqlText.identifier(slotName)).append(' ');
      }
      sb.append("PHYSICAL ")
          .append(start)
          .append(" TIMELINE ")
          .append(Integer.toUnsignedString(timeline.value()));
      return sb.toString();
    }
  }
}
