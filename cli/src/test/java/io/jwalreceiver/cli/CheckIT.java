// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.jwalreceiver.embedded.ServerUser;
import io.jwalreceiver.session.ConnectionConfig;
import io.jwalreceiver.session.ReplicationConnection;
import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.Ports;
import io.jwalreceiver.testkit.PostgresServer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver check} against real servers: a ready primary passes every item, and each FAIL
 * of the issue shows up with its fix (wal_level=minimal, max_wal_senders=0, a role without
 * REPLICATION, no pg_hba.conf replication line, a missing slot, a slot whose WAL was removed, an
 * archive that would resume with a gap). Where it is cheap, the printed fix is applied and the item
 * checked again.
 */
@Tag("postgres")
class CheckIT {

  private static final long SEGMENT = 16L * 1024 * 1024;
  private static final Pattern LINE = Pattern.compile("^(OK|WARN|FAIL) {1,4}(.*)$");

  /** The items of a check without {@code -D}, in their order. */
  private static final List<String> ITEMS =
      List.of(
          "server",
          "wal_level",
          "max_wal_senders",
          "max_replication_slots",
          "role",
          "replication_connection",
          "slot",
          "max_slot_wal_keep_size");

  private static final Pattern NOT_CHECKED = Pattern.compile("^(\\w+): could not check: ");

  /** {@code check} as {@code user} on the shared server of {@code major}: it must exit 1. */
  private static CliRun failingCheck(int major, String user) {
    CliRun r = CliRun.of(env(PostgresServer.shared(major), user), "check");
    assertThat(r.exitCode()).as(r.out()).isEqualTo(1);
    return r;
  }

  /** {@code check -S slot -D archive} as {@code repl_scram}. */
  private static CliRun checkSlotAndArchive(PostgresServer server, String slot, Path archive) {
    return CliRun.of(
        env(server, PostgresServer.REPL_SCRAM), "check", "-S", slot, "-D", archive.toString());
  }

  private static Map<String, String> env(PostgresServer server, String user) {
    return CliIT.env(server, user);
  }

  // ---------------------------------------------------------------- a ready primary

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void readyPrimaryPassesEveryItem(int major, @TempDir Path archive) throws IOException {
    PostgresServer server = PostgresServer.shared(major);
    String slot = "check_ok_" + major;
    server.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
    try {
      // An archive whose newest file is the .partial of the slot's restart segment: receivewal
      // resumes at that segment's start, which the slot keeps.
      Files.createFile(archive.resolve(restartSegment(server, slot) + ".partial"));
      CliRun r = checkSlotAndArchive(server, slot, archive);
      assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
      Map<String, String> status = statuses(r.out());
      List<String> all = new ArrayList<>(ITEMS);
      all.add("archive");
      assertThat(status).containsOnlyKeys(all);
      assertThat(status.values()).as(r.out()).containsOnly("OK");
      String restartLsn =
          server.queryString(
              "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
      assertThat(r.out())
          .contains(
              "OK    server at 127.0.0.1:" + server.port() + " answered: PostgreSQL " + major + ".")
          .contains("OK    wal_level = replica\n")
          .contains("OK    role \"repl_scram\" has REPLICATION\n")
          .contains("OK    replication connection accepted for user \"repl_scram\" from 127.0.0.1")
          .contains(
              "OK    replication slot \""
                  + slot
                  + "\": restart_lsn "
                  + restartLsn
                  + ", wal_status reserved")
          .contains("OK    max_slot_wal_keep_size = -1")
          .contains("keeps WAL from " + restartLsn + ", no gap")
          .doesNotContain("fix:")
          .endsWith("9 checks: 9 OK, 0 WARN, 0 FAIL\n");
      assertThat(r.out())
          .containsPattern(
              "OK    max_wal_senders = 20, \\d+ in use by other" + " clients, \\d+ free\n");
      assertThat(r.err()).isEmpty();
    } finally {
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void archiveBehindTheSlotWouldLeaveAGap(int major, @TempDir Path archive) throws IOException {
    PostgresServer server = PostgresServer.shared(major);
    // Put the slot's reservation at least two segments past segment 1. A new slot reserves from
    // the last checkpoint's redo pointer, so a checkpoint must follow.
    while (segmentOf(server.currentWalLsn()) < 3) {
      server.generateWal(1024);
      server.switchWal();
    }
    server.execute("CHECKPOINT");
    String slot = "check_gap_" + major;
    server.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true)");
    try {
      completeSegment(archive.resolve("000000010000000000000001"));
      CliRun r = checkSlotAndArchive(server, slot, archive);
      assertThat(r.exitCode()).as(r.out()).isEqualTo(1);
      assertThat(statuses(r.out())).containsEntry("archive", "FAIL").containsEntry("slot", "OK");
      assertThat(r.out())
          .contains(
              "FAIL  resuming \""
                  + archive
                  + "\" at 0/2000000 (timeline 1, after"
                  + " 000000010000000000000001) would leave a gap: slot \""
                  + slot
                  + "\" only keeps WAL from ")
          .contains(
              "      fix: receive into a new, empty directory (-D) and take a new base"
                  + " backup\n");
    } finally {
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void archiveWithoutSlotNeedsPgMonitorToCheckTheGap(int major, @TempDir Path archive)
      throws IOException {
    PostgresServer server = PostgresServer.shared(major);
    String segment = server.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
    Files.createFile(archive.resolve(segment + ".partial"));
    CliRun plain =
        CliRun.of(env(server, PostgresServer.REPL_SCRAM), "check", "-D", archive.toString());
    assertThat(plain.exitCode()).as(plain.out()).isZero();
    assertThat(statuses(plain.out())).containsEntry("archive", "WARN");
    assertThat(plain.out())
        .contains(
            " could not check whether the server still has that WAL: permission denied"
                + " for function pg_ls_waldir\n"
                + "      fix: SQL (as a superuser): GRANT pg_monitor TO repl_scram;\n");

    CliRun monitor =
        CliRun.of(env(server, PostgresServer.SUPERUSER), "check", "-D", archive.toString());
    assertThat(statuses(monitor.out())).containsEntry("archive", "OK");
    assertThat(monitor.out())
        .contains(", after " + segment + ".partial): the server still has" + " that WAL, no gap");
  }

  // ---------------------------------------------------------------- one test per FAIL

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void walLevelMinimalAndNoWalSendersFail(int major) throws IOException {
    // max_wal_senders must be 0 for wal_level=minimal: the server refuses to start otherwise.
    try (PostgresServer server =
        PostgresServer.start(
            PostgresServer.Options.of(major)
                .withSetting("wal_level", "minimal")
                .withSetting("max_wal_senders", "0"))) {
      CliRun r = CliRun.of(env(server, PostgresServer.REPL_SCRAM), "check");
      assertThat(r.exitCode()).as(r.out()).isEqualTo(1);
      assertStatuses(
          r.out(),
          "wal_level=FAIL",
          "max_wal_senders=FAIL",
          "replication_connection=FAIL",
          "role=OK");
      assertThat(r.out())
          .contains(
              "FAIL  wal_level = minimal: the server writes too little WAL to stream\n"
                  + "      fix: postgresql.conf: wal_level = replica\n"
                  + "           then restart the server\n")
          .contains(
              "FAIL  max_wal_senders = 0: the server accepts no replication connections\n"
                  + "      fix: postgresql.conf: max_wal_senders = 10\n"
                  + "           postgresql.conf: wal_level = replica\n"
                  + "           then restart the server (wal_level = minimal allows no WAL"
                  + " senders)\n");
      assertThat(r.out()).containsPattern("\\d+ checks: \\d+ OK, \\d+ WARN, 3 FAIL\n$");

      // The postgresql.conf lines, appended as printed, and a restart make the server ready.
      StringBuilder conf = new StringBuilder();
      for (String line : r.out().split("\n")) {
        String fix = line.strip().replaceFirst("^fix: ", "");
        if (fix.startsWith("postgresql.conf: ")) {
          conf.append(fix.substring("postgresql.conf: ".length())).append('\n');
        }
      }
      Path postgresqlConf = server.dataDir().resolve("postgresql.conf");
      ServerUser.get()
          .writeFile(postgresqlConf, Files.readString(postgresqlConf) + "\n" + conf, false);
      server.restart();
      CliRun fixed = CliRun.of(env(server, PostgresServer.REPL_SCRAM), "check");
      assertThat(fixed.exitCode()).as(fixed.out()).isZero();
      assertStatuses(
          fixed.out(), "wal_level=OK", "max_wal_senders=OK", "replication_connection=OK");
    }
  }

  /**
   * The users the shared servers refuse for replication: the items that must show, and what the
   * output must say about them.
   */
  static Stream<Arguments> refusedUsers() {
    return PgVersionCases.crossed(
        arguments(
            PostgresServer.NOREPL,
            Map.of("role", "FAIL", "replication_connection", "FAIL", "wal_level", "OK"),
            List.of(
                "FAIL  role \"norepl\" lacks the REPLICATION attribute\n"
                    + "      fix: SQL (as a superuser): ALTER ROLE norepl REPLICATION;\n",
                "FAIL  replication connection for user \"norepl\" refused: ")),
        arguments(
            PostgresServer.NOHBA,
            Map.of("replication_connection", "FAIL", "role", "OK"),
            List.of(
                "FAIL  replication connection for user \"nohba\" refused: no pg_hba.conf"
                    + " entry for replication connection from host \"127.0.0.1\","
                    + " user \"nohba\"",
                "      fix: pg_hba.conf: host replication nohba 127.0.0.1/32"
                    + " scram-sha-256\n"
                    + "           (above any line that matches it first), then SQL:"
                    + " SELECT pg_reload_conf();\n")));
  }

  /** A role without REPLICATION; a role without a pg_hba.conf replication line. */
  @ParameterizedTest(name = "PostgreSQL {0}: {1}")
  @MethodSource("refusedUsers")
  void refusedRoleFails(
      int major, String user, Map<String, String> statuses, List<String> messages) {
    CliRun r = failingCheck(major, user);
    assertThat(statuses(r.out())).containsAllEntriesOf(statuses);
    assertThat(r.out()).contains(messages);
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void missingSlotFailsAndItsFixWorks(int major) {
    PostgresServer server = PostgresServer.shared(major);
    String slot = "check_missing_" + major;
    Map<String, String> env = env(server, PostgresServer.REPL_SCRAM);
    CliRun r = CliRun.of(env, "check", "-S", slot);
    assertThat(r.exitCode()).as(r.out()).isEqualTo(1);
    assertThat(statuses(r.out())).containsEntry("slot", "FAIL");
    assertThat(r.out())
        .contains(
            "FAIL  replication slot \""
                + slot
                + "\" does not exist\n"
                + "      fix: SQL: SELECT pg_create_physical_replication_slot('"
                + slot
                + "', true);\n"
                + "           or: jwalreceiver slot create "
                + slot
                + "\n");

    String fix = fixLines(r.out(), "replication slot \"" + slot + "\" does not exist").get(0);
    server.execute(fix.substring("SQL: ".length()));
    try {
      CliRun again = CliRun.of(env, "check", "-S", slot);
      assertThat(again.exitCode()).as(again.out()).isZero();
      assertThat(statuses(again.out())).containsEntry("slot", "OK");
    } finally {
      server.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  /**
   * A dedicated server whose slots may fall 1MB behind and which keeps no extra WAL: the slot is
   * invalidated once WAL moves on and a checkpoint removes what it needed. The same server shows
   * the gap check without a slot, and a pg_hba.conf fix applied for real.
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void slotWhoseWalWasRemovedFails(int major, @TempDir Path archive) throws IOException {
    try (PostgresServer server =
        PostgresServer.start(
            PostgresServer.Options.of(major)
                .withSetting("max_slot_wal_keep_size", "1MB")
                .withSetting("wal_keep_size", "0"))) {
      server.execute("SELECT pg_create_physical_replication_slot('lost_slot', true)");
      for (int i = 0; i < 20 && !"lost".equals(walStatus(server, "lost_slot")); i++) {
        server.generateWal(SEGMENT);
        server.switchWal();
        server.execute("CHECKPOINT");
      }
      assertThat(walStatus(server, "lost_slot")).isEqualTo("lost");

      completeSegment(archive.resolve("000000010000000000000001"));
      Map<String, String> env = env(server, PostgresServer.REPL_SCRAM);
      CliRun r = CliRun.of(env, "check", "-S", "lost_slot", "-D", archive.toString());
      assertThat(r.exitCode()).as(r.out()).isEqualTo(1);
      assertStatuses(r.out(), "slot=FAIL", "archive=FAIL", "max_slot_wal_keep_size=OK");
      assertThat(r.out())
          .contains("FAIL  replication slot \"lost_slot\" is invalidated (wal_status lost)")
          .contains(
              "      fix: SQL: SELECT pg_drop_replication_slot('lost_slot');\n"
                  + "           SQL: SELECT pg_create_physical_replication_slot('lost_slot', true);\n")
          .contains("would leave a gap: slot \"lost_slot\" lost its WAL")
          .contains("OK    max_slot_wal_keep_size = 1MB");

      // Without a slot: the server's pg_wal no longer starts at segment 1 (superuser may list it).
      CliRun noSlot =
          CliRun.of(env(server, PostgresServer.SUPERUSER), "check", "-D", archive.toString());
      assertThat(statuses(noSlot.out())).containsEntry("archive", "FAIL");
      assertThat(noSlot.out()).contains("would leave a gap: the server's oldest WAL starts at ");
      assertThat(noSlot.exitCode()).isEqualTo(1);

      // The printed pg_hba.conf line, applied as printed, lets nohba in.
      CliRun refused = CliRun.of(env(server, PostgresServer.NOHBA), "check");
      String hbaFix = fixLines(refused.out(), "replication connection for user \"nohba\"").get(0);
      assertThat(hbaFix).startsWith("pg_hba.conf: ");
      Path hba = server.dataDir().resolve("pg_hba.conf");
      ServerUser.get()
          .writeFile(
              hba,
              hbaFix.substring("pg_hba.conf: ".length()) + "\n" + Files.readString(hba),
              false);
      server.reload();
      CliRun admitted = CliRun.of(env(server, PostgresServer.NOHBA), "check");
      assertStatuses(admitted.out(), "replication_connection=OK");
    }
  }

  /**
   * A server with two WAL senders, where {@code repl_md5} may connect for replication but not for
   * SQL: without the SQL session the catalog items degrade to WARN and the rest is read over the
   * replication connection; senders held by other clients show as a WARN, then as a FAIL.
   */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void degradesWithoutSqlAndCountsFreeSenders(int major) {
    try (PostgresServer server =
        PostgresServer.start(
            PostgresServer.Options.of(major)
                .withSetting("max_wal_senders", "2")
                .withHbaLine("host all repl_md5 127.0.0.1/32 reject"))) {
      server.execute("SELECT pg_create_physical_replication_slot('degraded', true)");
      CliRun noSql = CliRun.of(env(server, PostgresServer.REPL_MD5), "check", "-S", "degraded");
      assertThat(noSql.exitCode()).as(noSql.out()).isZero();
      assertStatuses(
          noSql.out(),
          "server=OK",
          "wal_level=OK",
          "max_wal_senders=WARN",
          "role=OK",
          "replication_connection=OK",
          "slot=WARN",
          "max_slot_wal_keep_size=OK");
      assertThat(noSql.out())
          .contains(
              "WARN  max_wal_senders = 2; could not check free senders: no SQL session"
                  + " (pg_hba.conf rejects connection for host \"127.0.0.1\", user \"repl_md5\"")
          .contains(
              "OK    role \"repl_md5\" may stream WAL (its replication connection was"
                  + " accepted)\n");
      if (major >= 15) {
        // READ_REPLICATION_SLOT still shows the slot and its restart_lsn.
        assertThat(noSql.out())
            .contains(
                "WARN  replication slot \"degraded\": restart_lsn "
                    + server.queryString("SELECT restart_lsn FROM pg_replication_slots")
                    + "; could not check wal_status: no SQL session");
      } else {
        assertThat(noSql.out()).contains("WARN  slot: could not check: no SQL session");
      }

      // The role fix, run as printed, lets norepl stream.
      CliRun norepl = CliRun.of(env(server, PostgresServer.NOREPL), "check");
      assertThat(statuses(norepl.out())).containsEntry("role", "FAIL");
      String alter = fixLines(norepl.out(), "role \"norepl\"").get(0);
      server.execute(alter.substring("SQL (as a superuser): ".length()));
      CliRun granted = CliRun.of(env(server, PostgresServer.NOREPL), "check");
      assertStatuses(granted.out(), "role=OK", "replication_connection=OK");

      Map<String, String> env = env(server, PostgresServer.REPL_SCRAM);
      ConnectionConfig other = BackupTestSupport.replicationConfig(server);
      // A closed replication connection's walsender leaves a moment later.
      awaitWalSenders(server, 0);
      try (ReplicationConnection first = ReplicationConnection.open(other)) {
        // The premise: an idle replication connection holds a WAL sender.
        assertThat(
                server.queryString(
                    "SELECT count(*) FROM pg_stat_replication WHERE pid = " + first.backendPid()))
            .isEqualTo("1");
        CliRun oneFree = CliRun.of(env, "check", "-S", "degraded");
        assertThat(oneFree.exitCode()).as(oneFree.out()).isZero();
        assertThat(oneFree.out())
            .contains(
                "WARN  max_wal_senders = 2, 1 in use by other"
                    + " clients, 1 free: enough for receivewal, not for basebackup -X stream (needs 2)\n"
                    + "      fix: postgresql.conf: max_wal_senders = 10\n");
        awaitWalSenders(server, 1);
        try (ReplicationConnection second = ReplicationConnection.open(other)) {
          assertThat(second.backendPid()).isNotEqualTo(first.backendPid());
          CliRun noneFree = CliRun.of(env, "check", "-S", "degraded");
          assertThat(noneFree.exitCode()).isEqualTo(1);
          assertStatuses(noneFree.out(), "max_wal_senders=FAIL", "replication_connection=FAIL");
          assertThat(noneFree.out())
              .contains(
                  "FAIL  max_wal_senders = 2, 2 in use by other clients, 0 free\n"
                      + "      fix: postgresql.conf: max_wal_senders = 10\n")
              // 17+ quotes the parameter name.
              .containsPattern(
                  "refused: number of requested standby connections exceeds"
                      + " \"?max_wal_senders\"? \\(currently 2\\)");
        }
      }
    }
  }

  // ---------------------------------------------------------------- shape and errors

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void jsonHasOneItemPerCheck(int major) throws IOException {
    PostgresServer server = PostgresServer.shared(major);
    CliRun r = CliRun.of(env(server, PostgresServer.NOREPL), "check", "--json", "-v");
    assertThat(r.exitCode()).isEqualTo(1);
    // -v narrates on stderr; stdout stays one JSON document.
    assertThat(r.err())
        .contains("jwalreceiver: opening a replication connection to 127.0.0.1:" + server.port())
        .contains("jwalreceiver: replication connection refused: ");
    @SuppressWarnings("unchecked")
    Map<String, Object> doc = (Map<String, Object>) Json.parse(r.out());
    assertThat(doc).containsOnlyKeys("status", "ok", "warn", "fail", "items");
    assertThat(doc.get("status")).isEqualTo("FAIL");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> items = (List<Map<String, Object>>) doc.get("items");
    assertThat(items).extracting(i -> i.get("name")).containsExactlyElementsOf(ITEMS);
    for (Map<String, Object> item : items) {
      assertThat(item).containsOnlyKeys("name", "status", "message", "fix");
      assertThat(item.get("status")).isIn("OK", "WARN", "FAIL");
      if ("OK".equals(item.get("status"))) {
        assertThat(item.get("fix")).isNull();
      }
      if ("FAIL".equals(item.get("status"))) {
        assertThat(item.get("fix")).isInstanceOf(String.class);
      }
    }
    Map<String, Object> role = items.get(4);
    assertThat(role.get("status")).isEqualTo("FAIL");
    assertThat(role.get("fix")).isEqualTo("SQL (as a superuser): ALTER ROLE norepl REPLICATION;");
    long fails = items.stream().filter(i -> "FAIL".equals(i.get("status"))).count();
    assertThat(doc.get("fail")).isEqualTo(fails);
    assertThat(r.out()).doesNotContain("OK    ");
  }

  @Test
  void unreachableServerFailsAndChecksNothingElse() throws IOException {
    int port = Ports.unused();
    CliRun r =
        CliRun.of(
            Map.of("PGSSLMODE", "disable"),
            "check",
            "-h",
            "127.0.0.1",
            "-p",
            Integer.toString(port),
            "-U",
            "nobody");
    assertThat(r.exitCode()).isEqualTo(1);
    assertThat(r.out())
        .startsWith(
            "FAIL  server not reachable: connection to server at \"127.0.0.1\", port "
                + port
                + " failed: Connection refused\n")
        .contains(
            "      fix: start the server, or connect to where it listens (-h, -p;"
                + " listen_addresses and port in postgresql.conf)\n")
        .contains("WARN  wal_level: could not check: no connection to the server\n")
        .contains("WARN  replication_connection: could not check: no connection to the server\n")
        .endsWith("8 checks: 0 OK, 7 WARN, 1 FAIL\n");
  }

  /** A host list: each server is checked and reported under its own heading. */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.ONLY_15)
  void checksEachServerOfAHostList(int major) throws IOException {
    PostgresServer server = PostgresServer.shared(major);
    int down = Ports.unused();
    Map<String, String> env = new LinkedHashMap<>(env(server, PostgresServer.REPL_SCRAM));
    env.put("PGHOST", "127.0.0.1,127.0.0.1");
    env.put("PGPORT", down + "," + server.port());
    env.put("PGTARGETSESSIONATTRS", "read-write");
    CliRun r = CliRun.of(env, "check");
    assertThat(r.exitCode()).as(r.out()).isEqualTo(1);
    assertThat(r.out())
        .startsWith(
            "server 127.0.0.1:"
                + down
                + ":\nFAIL  server not reachable: connection to server at \"127.0.0.1\", port "
                + down
                + " failed: Connection refused\n")
        .contains("\nserver 127.0.0.1:" + server.port() + ":\nOK    ");
    CliRun json = CliRun.of(env, "check", "--json");
    assertThat(json.out())
        .startsWith("[{")
        .contains("port " + down + " failed")
        .contains("},\n{")
        .endsWith("}]\n");
  }

  @Test
  void badSlotNameAndMissingDirectoryAreErrors(@TempDir Path dir) {
    CliRun.of(Map.of(), "check", "-S", "Bad-Name")
        .assertErrorOnly(
            "jwalreceiver: error: replication slot name \"Bad-Name\" contains invalid character");

    CliRun noDir = CliRun.of(Map.of(), "check", "-D", dir.resolve("absent").toString());
    assertThat(noDir.exitCode()).isEqualTo(1);
    assertThat(noDir.err())
        .isEqualTo(
            "jwalreceiver: error: could not open directory \""
                + dir.resolve("absent")
                + "\": No such file or directory\n");
  }

  // ---------------------------------------------------------------- helpers

  /** The check output {@code out} shows each {@code item=STATUS} given (and maybe more items). */
  private static void assertStatuses(String out, String... itemEqualsStatus) {
    Map<String, String> expected = new LinkedHashMap<>();
    for (String e : itemEqualsStatus) {
      expected.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
    }
    assertThat(statuses(out)).as(out).containsAllEntriesOf(expected);
  }

  /** Item name to status, read back from the human output. */
  private static Map<String, String> statuses(String out) {
    Map<String, String> byName = new LinkedHashMap<>();
    for (String line : out.split("\n")) {
      Matcher m = LINE.matcher(line);
      if (m.matches()) {
        byName.put(itemName(m.group(2)), m.group(1));
      }
    }
    return byName;
  }

  /** Which item a message belongs to, by how each item's message starts. */
  private static String itemName(String message) {
    Matcher notChecked = NOT_CHECKED.matcher(message);
    if (notChecked.find()) {
      return notChecked.group(1);
    }
    String[][] prefixes = {
      {"server", "server "},
      {"wal_level", "wal_level "},
      {"max_wal_senders", "max_wal_senders "},
      {"max_replication_slots", "max_replication_slots "},
      {"role", "role "},
      {"replication_connection", "replication connection "},
      {"slot", "replication slot "},
      {"slot", "no slot given"},
      {"max_slot_wal_keep_size", "max_slot_wal_keep_size "},
      {"archive", "resuming "},
      {"archive", "\""},
    };
    for (String[] p : prefixes) {
      if (message.startsWith(p[1])) {
        return p[0];
      }
    }
    return message;
  }

  /** The fix lines under the item whose message contains {@code marker}. */
  private static List<String> fixLines(String out, String marker) {
    List<String> lines = new ArrayList<>();
    boolean inItem = false;
    for (String line : out.split("\n")) {
      if (LINE.matcher(line).matches()) {
        inItem = line.contains(marker);
      } else if (inItem && line.startsWith("      ")) {
        lines.add(line.substring(6).replaceFirst("^fix: ", "").strip());
      }
    }
    return lines;
  }

  /** Waits (bounded) until exactly {@code n} WAL senders run. */
  private static void awaitWalSenders(PostgresServer server, int n) {
    String want = Integer.toString(n);
    for (int i = 0; i < 200; i++) {
      if (server.queryString("SELECT count(*) FROM pg_stat_replication").equals(want)) {
        return;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    throw new AssertionError("WAL senders did not settle at " + n);
  }

  private static String restartSegment(PostgresServer server, String slot) {
    return server.queryString(
        "SELECT pg_walfile_name(restart_lsn) FROM pg_replication_slots"
            + " WHERE slot_name = '"
            + slot
            + "'");
  }

  private static String walStatus(PostgresServer server, String slot) {
    return server.queryString(
        "SELECT wal_status FROM pg_replication_slots WHERE slot_name = '" + slot + "'");
  }

  private static long segmentOf(String lsn) {
    String[] parts = lsn.split("/");
    long value = (Long.parseLong(parts[0], 16) << 32) | Long.parseLong(parts[1], 16);
    return value / SEGMENT;
  }

  /** A completed segment file of the right size (sparse: only its size is ever read). */
  private static void completeSegment(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.setLength(SEGMENT);
    }
  }
}
