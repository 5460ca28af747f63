// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

/** Clean-up of the replication slots a test made. */
public final class ReplicationSlots {

  private ReplicationSlots() {}

  /**
   * Drops {@code slot} when it exists and no client holds it; otherwise does nothing (for a {@code
   * finally} block that must not fail the test a second time).
   */
  public static void dropIfInactive(PostgresServer server, String slot) {
    server.queryString(
        "SELECT count(pg_drop_replication_slot(slot_name)) FROM pg_replication_slots"
            + " WHERE slot_name = '"
            + slot
            + "' AND NOT active");
  }
}
