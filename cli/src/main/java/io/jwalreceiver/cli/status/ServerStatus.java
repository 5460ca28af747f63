// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.status;

import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.session.QueryResult;
import io.jwalreceiver.session.ReplicationConnection;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A server's replication state, read over a plain SQL session: who streams from it ({@code
 * pg_stat_replication}) and which slots hold WAL ({@code pg_replication_slots}), with the lag in
 * bytes behind the server's WAL position. On a primary that position is {@code
 * pg_current_wal_lsn()}; on a standby, which has no insert position, it is the WAL received so far
 * ({@code pg_last_wal_receive_lsn()}, or the replayed position when nothing streams).
 *
 * @param server the server the session reached ({@code host:port}): with a host list, the one
 *     chosen
 * @param inRecovery true on a standby
 * @param version {@code server_version}
 * @param walPosition the position the lags are measured against
 * @param replayPosition on a standby {@code pg_last_wal_replay_lsn()}, else null
 * @param segmentSize {@code wal_segment_size}
 * @param standbys the rows of {@code pg_stat_replication}
 * @param slots the rows of {@code pg_replication_slots}
 */
public record ServerStatus(
    String server,
    boolean inRecovery,
    String version,
    String walPosition,
    @Nullable String replayPosition,
    WalSegmentSize segmentSize,
    List<Standby> standbys,
    List<Slot> slots) {

  public ServerStatus {
    standbys = List.copyOf(standbys);
    slots = List.copyOf(slots);
  }

  /**
   * One walsender. LSNs and lags are null where the server shows NULL (a client that has not
   * reported yet, or a role without {@code pg_read_all_stats}).
   *
   * @param pid the walsender's process id
   * @param applicationName the client's {@code application_name}
   * @param clientAddr the client's address, null for a Unix socket
   * @param state {@code streaming}, {@code catchup}, {@code startup}, {@code backup}, …
   * @param syncState {@code async}, {@code sync}, {@code potential}, {@code quorum}
   * @param sentLsn sent up to
   * @param writeLsn written by the client up to
   * @param flushLsn flushed by the client up to
   * @param replayLsn replayed by the client up to
   * @param sentLagBytes bytes between the server's position and {@code sentLsn}
   * @param writeLagBytes bytes between the server's position and {@code writeLsn}
   * @param flushLagBytes bytes between the server's position and {@code flushLsn}
   * @param replayLagBytes bytes between the server's position and {@code replayLsn}
   * @param writeLagSeconds {@code write_lag} in seconds
   * @param flushLagSeconds {@code flush_lag} in seconds
   * @param replayLagSeconds {@code replay_lag} in seconds
   */
  public record Standby(
      int pid,
      String applicationName,
      @Nullable String clientAddr,
      String state,
      String syncState,
      @Nullable String sentLsn,
      @Nullable String writeLsn,
      @Nullable String flushLsn,
      @Nullable String replayLsn,
      @Nullable Long sentLagBytes,
      @Nullable Long writeLagBytes,
      @Nullable Long flushLagBytes,
      @Nullable Long replayLagBytes,
      @Nullable Double writeLagSeconds,
      @Nullable Double flushLagSeconds,
      @Nullable Double replayLagSeconds) {}

  /**
   * One replication slot.
   *
   * @param name {@code slot_name}
   * @param type {@code physical} or {@code logical}
   * @param temporary whether it goes away with its session
   * @param active whether a client uses it
   * @param activePid the using process, or null
   * @param restartLsn the oldest WAL it keeps, or null
   * @param walStatus {@code reserved}, {@code extended}, {@code unreserved}, {@code lost}, or null
   * @param safeWalSize bytes that can still be written before the slot is at risk, or null when
   *     unlimited
   * @param retainedBytes bytes of WAL the slot holds back (the server's position minus {@code
   *     restartLsn}), or null
   * @param clientAddr the address of the client streaming through it (its walsender's {@code
   *     pg_stat_replication.client_addr}: where the archiver runs), or null when inactive or local
   * @param applicationName that client's {@code application_name}, or null when inactive
   */
  public record Slot(
      String name,
      String type,
      boolean temporary,
      boolean active,
      @Nullable Integer activePid,
      @Nullable String restartLsn,
      @Nullable String walStatus,
      @Nullable Long safeWalSize,
      @Nullable Long retainedBytes,
      @Nullable String clientAddr,
      @Nullable String applicationName) {}

  /** The position lags are measured against, as SQL. */
  private static final String POSITION =
      "(SELECT CASE WHEN pg_catalog.pg_is_in_recovery()"
          + " THEN coalesce(pg_catalog.pg_last_wal_receive_lsn(), pg_catalog.pg_last_wal_replay_lsn())"
          + " ELSE pg_catalog.pg_current_wal_lsn() END AS lsn)";

  static final String SERVER_QUERY =
      "SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('server_version'),"
          + " p.lsn, pg_catalog.pg_last_wal_replay_lsn(),"
          + " pg_catalog.current_setting('wal_segment_size')"
          + " FROM "
          + POSITION
          + " p";

  static final String STANDBYS_QUERY =
      "SELECT r.pid, r.application_name, host(r.client_addr), r.state, r.sync_state,"
          + " r.sent_lsn, r.write_lsn, r.flush_lsn, r.replay_lsn,"
          + " pg_catalog.pg_wal_lsn_diff(p.lsn, r.sent_lsn)::bigint,"
          + " pg_catalog.pg_wal_lsn_diff(p.lsn, r.write_lsn)::bigint,"
          + " pg_catalog.pg_wal_lsn_diff(p.lsn, r.flush_lsn)::bigint,"
          + " pg_catalog.pg_wal_lsn_diff(p.lsn, r.replay_lsn)::bigint,"
          + " extract(epoch FROM r.write_lag), extract(epoch FROM r.flush_lag),"
          + " extract(epoch FROM r.replay_lag)"
          + " FROM pg_catalog.pg_stat_replication r, "
          + POSITION
          + " p"
          + " ORDER BY r.application_name, r.pid";

  static final String SLOTS_QUERY =
      "SELECT s.slot_name, s.slot_type, s.temporary, s.active, s.active_pid, s.restart_lsn,"
          + " s.wal_status, s.safe_wal_size,"
          + " pg_catalog.pg_wal_lsn_diff(p.lsn, s.restart_lsn)::bigint,"
          + " host(r.client_addr), r.application_name"
          + " FROM pg_catalog.pg_replication_slots s CROSS JOIN "
          + POSITION
          + " p"
          + " LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid"
          + " ORDER BY s.slot_name";

  /**
   * Reads the state over a plain (non-replication) session.
   *
   * @param session a session to any database of the server
   * @return the state
   * @throws io.jwalreceiver.PgException when a query fails
   */
  public static ServerStatus read(ReplicationConnection session) {
    List<String> server = session.query(SERVER_QUERY).singleRow("read the server's state", 5);
    List<Standby> standbys = new ArrayList<>();
    QueryResult r = session.query(STANDBYS_QUERY);
    for (List<String> row : r.rows()) {
      standbys.add(
          new Standby(
              Integer.parseInt(row.get(0)),
              row.get(1),
              row.get(2),
              row.get(3),
              row.get(4),
              row.get(5),
              row.get(6),
              row.get(7),
              row.get(8),
              toLong(row.get(9)),
              toLong(row.get(10)),
              toLong(row.get(11)),
              toLong(row.get(12)),
              toDouble(row.get(13)),
              toDouble(row.get(14)),
              toDouble(row.get(15))));
    }
    List<Slot> slots = new ArrayList<>();
    for (List<String> row : session.query(SLOTS_QUERY).rows()) {
      slots.add(
          new Slot(
              row.get(0),
              row.get(1),
              "t".equals(row.get(2)),
              "t".equals(row.get(3)),
              row.get(4) == null ? null : Integer.valueOf(row.get(4)),
              row.get(5),
              row.get(6),
              toLong(row.get(7)),
              toLong(row.get(8)),
              row.get(9),
              row.get(10)));
    }
    boolean recovery = "t".equals(server.get(0));
    return new ServerStatus(
        session.server().host() + ":" + session.server().port(),
        recovery,
        server.get(1),
        server.get(2),
        recovery ? server.get(3) : null,
        WalSegmentSize.parseShow(server.get(4)),
        standbys,
        slots);
  }

  private static @Nullable Long toLong(@Nullable String v) {
    return v == null ? null : Long.valueOf(v);
  }

  private static @Nullable Double toDouble(@Nullable String v) {
    return v == null ? null : Double.valueOf(v);
  }
}
