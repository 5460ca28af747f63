// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.ReplicationConnection;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/**
 * {@code bench wal --generate}: makes WAL on the server from a plain SQL session, with {@code
 * pg_logical_emit_message} — WAL records of 1 MB each that touch no table, so nothing is created in
 * (or left behind in) the user's database, and any role may run it (EXECUTE is granted to PUBLIC).
 * The messages are transactional: each statement's commit flushes its WAL, so the walsender can
 * send it at once.
 *
 * <p>Two ways: {@link #fill} makes a given amount before streaming starts (the run then measures
 * catch-up); {@link #startBackground} keeps making WAL while the run streams, staying at most
 * {@value #LAG_LIMIT_MB} MB ahead of what the receiver has received, so it never outruns the
 * receiver into WAL the server might recycle.
 */
final class WalGenerator {

  static final int LAG_LIMIT_MB = 256;
  static final long LAG_LIMIT = LAG_LIMIT_MB * Quantities.MB;

  /** 16 messages of 1 MB in one transaction; returns the insert position after them. */
  static final String STATEMENT =
      "SELECT pg_catalog.pg_current_wal_insert_lsn() FROM (SELECT"
          + " count(pg_catalog.pg_logical_emit_message(true, 'jwalreceiver-bench',"
          + " pg_catalog.repeat('x', 1048576))) FROM pg_catalog.generate_series(1, 16)) s";

  private final ReplicationConnection conn;
  private final AtomicReference<PgException> failure = new AtomicReference<>();
  private final long first;
  private volatile long last;
  private volatile boolean stopped;
  private @Nullable Thread thread;

  private WalGenerator(ReplicationConnection conn) {
    this.conn = conn;
    this.first = insertPosition("SELECT pg_catalog.pg_current_wal_insert_lsn()");
    this.last = first;
  }

  /**
   * Connects.
   *
   * @param sql a plain (non-replication) session's settings
   */
  static WalGenerator connect(ConnectionConfig sql) {
    ReplicationConnection conn = ReplicationConnection.open(sql, n -> {});
    try {
      return new WalGenerator(conn);
    } catch (RuntimeException e) {
      conn.close();
      throw e;
    }
  }

  /** The server's insert position when the generator connected. */
  Lsn firstPosition() {
    return Lsn.of(first);
  }

  /** Makes {@link #fill} return early (Ctrl-C); any thread. */
  void halt() {
    stopped = true;
  }

  /** Makes at least {@code bytes} of WAL now, on the calling thread. */
  void fill(long bytes) {
    try {
      while (last - first < bytes && !stopped) {
        last = insertPosition(STATEMENT);
      }
    } catch (PgException e) {
      throw failed(e);
    }
  }

  /**
   * Keeps making WAL on a background thread until {@link #stop}.
   *
   * @param received the receiver's end position (0 before streaming starts)
   * @param onFailure run on the generator's thread when a statement fails
   */
  void startBackground(LongSupplier received, Runnable onFailure) {
    thread = new Thread(() -> run(received, onFailure), "bench-wal-generator");
    thread.setDaemon(true);
    thread.start();
  }

  /** Bytes of WAL written on the server since the start. */
  long generatedBytes() {
    return last - first;
  }

  private long insertPosition(String sql) {
    return Lsn.parse(conn.query(sql).singleRow("pg_current_wal_insert_lsn", 1).get(0)).value();
  }

  private void run(LongSupplier received, Runnable onFailure) {
    try {
      while (!stopped) {
        long r = received.getAsLong();
        if (r == 0 || last - r > LAG_LIMIT) {
          Thread.sleep(5);
          continue;
        }
        last = insertPosition(STATEMENT);
      }
    } catch (PgException e) {
      if (!stopped) {
        failure.set(e);
        onFailure.run();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops generating and closes the session.
   *
   * @throws PgException when a statement failed
   */
  void stop() {
    stopped = true;
    if (thread != null) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    conn.close();
    PgException e = failure.get();
    if (e != null) {
      throw failed(e);
    }
  }

  private static PgException failed(PgException e) {
    if (e.fromServer()) {
      return new PgException(
          "could not generate WAL: ", Objects.requireNonNull(e.serverError(), "serverError"));
    }
    return new PgException(e.sqlState(), "could not generate WAL: " + e.getMessage(), e);
  }

  /** Stops without reporting a failure (cleaning up after another one). */
  void abort() {
    try {
      stop();
    } catch (PgException ignored) {
      // The failure that made us abort is the one reported.
    }
  }
}
