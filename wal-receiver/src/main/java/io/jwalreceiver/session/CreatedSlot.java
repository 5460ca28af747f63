// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.Lsn;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The answer to CREATE_REPLICATION_SLOT ({@link ReplicationConnection#createPhysicalSlot}), its
 * four columns as the server sends them.
 *
 * @param slotName the slot's name ({@code slot_name})
 * @param consistentPoint where the slot's WAL reservation starts ({@code consistent_point}), or
 *     null for a physical slot created without RESERVE_WAL
 * @param snapshotName the exported snapshot ({@code snapshot_name}), null for a physical slot
 * @param outputPlugin the logical decoding plugin ({@code output_plugin}), null for a physical slot
 */
public record CreatedSlot(
    String slotName,
    @Nullable Lsn consistentPoint,
    @Nullable String snapshotName,
    @Nullable String outputPlugin) {

  /** From the command's single row (at least the name and the consistent point). */
  static CreatedSlot of(String requested, List<@Nullable String> row) {
    String name = row.get(0);
    String point = row.get(1);
    return new CreatedSlot(
        name == null ? requested : name,
        point == null ? null : Lsn.parse(point),
        row.size() > 2 ? row.get(2) : null,
        row.size() > 3 ? row.get(3) : null);
  }
}
