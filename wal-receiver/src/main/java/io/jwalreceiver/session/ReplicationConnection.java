// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.ServerError;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineHistoryFile;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.protocol.MessageReader;
import io.jwalreceiver.protocol.MessageWriter;
import io.jwalreceiver.protocol.Transport;
import io.jwalreceiver.protocol.Wire;
import io.jwalreceiver.protocol.backend.BackendDecoder;
import io.jwalreceiver.protocol.backend.BackendMessage;
import io.jwalreceiver.protocol.backend.BackendMessage.NoticeResponse;
import io.jwalreceiver.protocol.backend.BackendMessage.ParameterStatus;
import io.jwalreceiver.protocol.command.ReplicationCommand;
import io.jwalreceiver.protocol.frontend.FrontendMessage;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One replication connection: startup, authentication, and the replication commands of
 * protocol-notes §2. Open one with {@link #open}; close it with {@link #close} (sends Terminate).
 *
 * <p>Not thread-safe: one thread drives a connection at a time.
 */
public final class ReplicationConnection implements AutoCloseable {

  /**
   * Default largest frame accepted from the server (a DataRow, a CopyData, an error). The largest a
   * real server sends: XLogData of at most 16 WAL pages (128 KiB; 1 MiB with the largest
   * compile-time page size), base backup chunks of 32 KiB, a DataRow holding a timeline history
   * file ({@link #MAX_HISTORY_FILE}). 8 MiB is ample for all of them, and is all a hostile length
   * can make us allocate.
   */
  public static final int DEFAULT_FRAME_LIMIT = 8 * 1024 * 1024;

  /**
   * Largest timeline history file accepted. A line is at most ~120 bytes (a timeline id, an LSN and
   * the reason the server writes, such as {@code at restore point "<63-byte name>"}), so this holds
   * some 9000 timeline switches — each one a promotion — far more than any cluster makes.
   */
  public static final int MAX_HISTORY_FILE = 1024 * 1024;

  /** Where the connection is in its life. */
  enum State {
    READY,
    BUSY,
    CLOSED
  }

  private final ConnectionConfig config;
  private final Transport transport;
  private final MessageReader reader;
  private final MessageWriter writer;
  private final Consumer<ServerError> noticeListener;
  private final Map<String, String> parameters;
  private final int backendPid;
  private final int serverVersionNum;
  private final boolean tls;
  private final boolean channelBound;
  private final ConnectedServer server;
  private State state = State.READY;
  private @Nullable String lastCommand;

  ReplicationConnection(
      ConnectionConfig config,
      Transport transport,
      MessageReader reader,
      MessageWriter writer,
      Consumer<ServerError> noticeListener,
      Map<String, String> parameters,
      int backendPid,
      boolean tls,
      boolean channelBound,
      ConnectedServer server) {
    this.server = server;
    this.config = config;
    this.transport = transport;
    this.reader = reader;
    this.writer = writer;
    this.noticeListener = noticeListener;
    this.parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    this.backendPid = backendPid;
    this.tls = tls;
    this.channelBound = channelBound;
    this.serverVersionNum = parseServerVersion(parameters.get("server_version"));
  }

  /**
   * Connects, negotiates TLS per sslmode, authenticates and waits for ReadyForQuery.
   *
   * @param noticeListener receives every NoticeResponse (warnings, notices) of the connection
   */
  public static ReplicationConnection open(
      ConnectionConfig config, Consumer<ServerError> noticeListener) {
    return Connector.connect(config, noticeListener);
  }

  /** Opens a connection whose notices are dropped. */
  public static ReplicationConnection open(ConnectionConfig config) {
    return open(config, n -> {});
  }

  /** The settings this connection was opened with (with the whole host list, if several). */
  public ConnectionConfig config() {
    return config;
  }

  /** Which server of {@link ConnectionConfig#hosts()} this connection reached. */
  public ConnectedServer server() {
    return server;
  }

  /** The server's ParameterStatus values (server_version, application_name, …). */
  public Map<String, String> parameters() {
    return parameters;
  }

  /** The server's version as {@code server_version_num} (e.g. 150013), from server_version. */
  public int serverVersionNum() {
    return serverVersionNum;
  }

  /** The major version (13 … 18). */
  public int serverMajorVersion() {
    return serverVersionNum / 10000;
  }

  /** The walsender's process id. */
  public int backendPid() {
    return backendPid;
  }

  /** True when the connection is encrypted. */
  public boolean isTls() {
    return tls;
  }

  /** True when SCRAM-SHA-256-PLUS bound the authentication to the TLS channel. */
  public boolean isChannelBound() {
    return channelBound;
  }

  // ---------------------------------------------------------------- replication commands

  /** IDENTIFY_SYSTEM. */
  public SystemIdentity identifySystem() {
    QueryResult r = run(new ReplicationCommand.IdentifySystem());
    List<String> row = r.singleRow("identify system", 3);
    return new SystemIdentity(
        row.get(0),
        TimelineId.parse(row.get(1)),
        Lsn.parse(row.get(2)),
        row.size() > 3 ? row.get(3) : null);
  }

  /** SHOW name. */
  public String show(String parameter) {
    QueryResult r = run(new ReplicationCommand.Show(parameter));
    return r.singleRow("show " + parameter, 1).get(0);
  }

  /** The WAL segment size, from {@code SHOW wal_segment_size} (never assumed). */
  public WalSegmentSize walSegmentSize() {
    return WalSegmentSize.parseShow(show("wal_segment_size"));
  }

  /** TIMELINE_HISTORY tli: the history file of a timeline after the first. */
  public TimelineHistoryFile timelineHistory(TimelineId timeline) {
    // The content column is the file's raw bytes: keep them undecoded.
    SimpleQuery.RawResult r =
        SimpleQuery.run(
            this, new ReplicationCommand.TimelineHistory(timeline).text(serverVersionNum));
    if (r.rows().size() != 1 || r.columns().size() != 2) {
      throw new PgException(
          SqlState.PROTOCOL_VIOLATION,
          "could not fetch timeline history file: got "
              + r.rows().size()
              + " rows and "
              + r.columns().size()
              + " fields, expected 1 rows and 2 fields");
    }
    List<byte[]> row = r.rows().get(0);
    if (row.get(0) == null || row.get(1) == null) {
      throw Wire.violation("TIMELINE_HISTORY returned NULL");
    }
    if (row.get(1).length > MAX_HISTORY_FILE) {
      throw Wire.violation(
          "timeline history file for timeline "
              + timeline
              + " is "
              + row.get(1).length
              + " bytes, more than the limit of "
              + MAX_HISTORY_FILE);
    }
    return TimelineHistoryFile.parse(
        timeline, new String(row.get(0), StandardCharsets.UTF_8), row.get(1));
  }

  /**
   * CREATE_REPLICATION_SLOT for a physical slot, in the syntax the server speaks ({@code
   * (RESERVE_WAL)} on 15+, the keyword form before).
   *
   * @return the slot as the server reports it
   * @throws PgException 42710 when the slot exists, 42602 for an invalid name (before sending)
   */
  public CreatedSlot createPhysicalSlot(String slotName, boolean temporary, boolean reserveWal) {
    QueryResult r =
        run(new ReplicationCommand.CreateReplicationSlot(slotName, temporary, reserveWal));
    return CreatedSlot.of(slotName, r.singleRow("create replication slot \"" + slotName + "\"", 2));
  }

  /**
   * DROP_REPLICATION_SLOT, optionally waiting while the slot is active.
   *
   * @throws PgException 42704 when no such slot exists, 55006 when it is active and {@code
   *     waitWhileActive} is false, 42602 for an invalid name (before sending)
   */
  public void dropSlot(String slotName, boolean waitWhileActive) {
    run(new ReplicationCommand.DropReplicationSlot(slotName, waitWhileActive));
  }

  /**
   * READ_REPLICATION_SLOT (PostgreSQL 15+).
   *
   * @return the slot's position, or empty when no such slot exists (the server answers a row of
   *     NULLs then)
   * @throws PgException 0A000 on servers before 15, which lack the command; read {@code
   *     pg_replication_slots} over a SQL connection there
   */
  public Optional<SlotPosition> readReplicationSlot(String slotName) {
    if (serverVersionNum < 150000) {
      throw new PgException(
          new SqlState("0A000"),
          "READ_REPLICATION_SLOT is not supported by server version " + serverVersionString(),
          null,
          "It needs PostgreSQL 15 or later; read pg_replication_slots over a SQL connection"
              + " instead.",
          null);
    }
    QueryResult r = run(new ReplicationCommand.ReadReplicationSlot(slotName));
    List<String> row = r.singleRow("read replication slot \"" + slotName + "\"", 3);
    if (row.get(0) == null) {
      return Optional.empty();
    }
    return Optional.of(
        new SlotPosition(
            row.get(0),
            row.get(1) == null ? null : Lsn.parse(row.get(1)),
            row.get(2) == null ? null : TimelineId.parse(row.get(2))));
  }

  /**
   * START_REPLICATION … PHYSICAL: enters COPY BOTH and returns the stream. When {@code start} is
   * exactly the end of an older timeline, the server skips COPY and names the next timeline at
   * once; the stream then reports {@link CopyBothStream.Event#END_OF_TIMELINE} on its first poll.
   *
   * @param slotName the slot, or null to stream without one
   */
  public CopyBothStream startReplication(
      @Nullable String slotName, Lsn start, TimelineId timeline) {
    String text =
        new ReplicationCommand.StartReplication(slotName, start, timeline).text(serverVersionNum);
    send(text);
    return CopyBothStream.enter(this, text);
  }

  /**
   * Sends BASE_BACKUP with these options and returns the response to read step by step (start
   * position, tablespaces, archives, manifest, end position; protocol-notes §5).
   */
  public CopyOutStream baseBackup(io.jwalreceiver.protocol.command.BaseBackupOptions options) {
    send(options.text(serverVersionNum));
    return new CopyOutStream(this, "BASE_BACKUP");
  }

  /**
   * UPLOAD_MANIFEST (17+, protocol-notes §2.9): sends a previous backup's {@code backup_manifest}
   * in COPY IN, so that a following BASE_BACKUP on this session can be INCREMENTAL.
   *
   * @param manifest the manifest file's bytes
   * @throws PgException {@code could not send replication command "UPLOAD_MANIFEST": …} when the
   *     server refuses the command, {@code could not upload manifest: …} when it rejects the
   *     manifest
   */
  public void uploadManifest(byte[] manifest) {
    send("UPLOAD_MANIFEST");
    ManifestUpload.copyIn(this, manifest);
  }

  /** The server's version string as reported ({@code 16.2}). */
  public String serverVersionString() {
    return parameters.getOrDefault("server_version", "unknown");
  }

  /** Runs one replication command and collects its result. */
  QueryResult run(ReplicationCommand command) {
    return query(command.text(serverVersionNum));
  }

  /**
   * Runs one simple-protocol command (a replication command on a walsender, or SQL on a plain
   * session) and collects its rows. A server error is thrown once ReadyForQuery has arrived, so the
   * connection stays usable.
   */
  public QueryResult query(String text) {
    return SimpleQuery.run(this, text).decode();
  }

  /**
   * The text of the last command sent on this connection (such as {@code CREATE_REPLICATION_SLOT
   * "s" PHYSICAL (RESERVE_WAL)}), or null before the first: what the PostgreSQL tools quote in
   * {@code could not send replication command "…"}.
   */
  public @Nullable String lastCommand() {
    return lastCommand;
  }

  /** Sends one simple-protocol command; the connection is busy until its ReadyForQuery. */
  void send(String text) {
    ensureReady();
    state = State.BUSY;
    lastCommand = text;
    writer.send(new FrontendMessage.Query(text));
  }

  /**
   * Reads the next message, delivering notices and ParameterStatus updates on the way. Errors are
   * returned, not thrown, so callers can wait for ReadyForQuery.
   */
  BackendMessage nextMessage() {
    while (true) {
      reader.next();
      BackendMessage m = BackendDecoder.decode(reader.type(), reader.body());
      if (m instanceof NoticeResponse n) {
        noticeListener.accept(n.notice());
      } else if (m instanceof ParameterStatus) {
        // Parameters reported after startup (e.g. in_hot_standby after promotion) change nothing
        // the connection relies on.
      } else {
        return m;
      }
    }
  }

  private void ensureReady() {
    if (state != State.READY) {
      throw new PgException(
          SqlState.CONNECTION_FAILURE,
          state == State.CLOSED
              ? "connection is closed"
              : "another command is already in progress");
    }
  }

  static PgException unexpected(BackendMessage m, String during) {
    return Wire.violation("unexpected " + m.getClass().getSimpleName() + " during " + during);
  }

  /** Back to idle after a COPY phase ended with ReadyForQuery. */
  void markReady() {
    if (state != State.CLOSED) {
      state = State.READY;
    }
  }

  /** The server ended the session (shutdown or fatal error during COPY). */
  void markClosed() {
    state = State.CLOSED;
  }

  /** Delivers a notice that arrived during a COPY phase. */
  void notice(io.jwalreceiver.ServerError n) {
    noticeListener.accept(n);
  }

  /** Wakes a read waiting on another thread (see {@link Transport#wakeup}). */
  void wakeup() {
    transport.wakeup();
  }

  /** See {@link Transport#blockingReads}: only while no other thread uses the connection. */
  void blockingReads() {
    transport.blockingReads();
  }

  /** The reader, for the streaming layers that take over the connection (COPY). */
  MessageReader reader() {
    return reader;
  }

  /** The writer, for the streaming layers. */
  MessageWriter writer() {
    return writer;
  }

  /** Sends Terminate (when the connection is idle) and closes the socket. */
  @Override
  public void close() {
    if (state == State.READY) {
      try {
        writer.send(new FrontendMessage.Terminate());
      } catch (PgException ignored) {
        // The server may already be gone.
      }
    }
    state = State.CLOSED;
    transport.close();
  }

  /**
   * {@code server_version} to {@code server_version_num}: {@code 16.2} → 160002, {@code 13.18
   * (Debian …)} → 130018, {@code 18beta1} → 180000.
   */
  static int parseServerVersion(@Nullable String v) {
    if (v == null) {
      throw Wire.violation("server did not report server_version");
    }
    int i = 0;
    int major = 0;
    while (i < v.length() && Character.isDigit(v.charAt(i))) {
      major = major * 10 + (v.charAt(i++) - '0');
    }
    int minor = 0;
    if (i < v.length() && v.charAt(i) == '.') {
      i++;
      while (i < v.length() && Character.isDigit(v.charAt(i))) {
        minor = minor * 10 + (v.charAt(i++) - '0');
      }
    }
    if (major == 0) {
      throw Wire.violation("could not parse server version \"" + v + "\"");
    }
    return major >= 10 ? major * 10000 + minor : major * 10000 + minor * 100;
  }
}
