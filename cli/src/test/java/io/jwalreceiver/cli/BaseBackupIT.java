// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static io.jwalreceiver.cli.BackupTestSupport.assertFails;
import static io.jwalreceiver.cli.BackupTestSupport.assertOk;
import static io.jwalreceiver.cli.BackupTestSupport.bb;
import static io.jwalreceiver.cli.BackupTestSupport.env;
import static io.jwalreceiver.cli.BackupTestSupport.hasWalSegment;
import static io.jwalreceiver.cli.BackupTestSupport.listing;
import static io.jwalreceiver.cli.BackupTestSupport.names;
import static io.jwalreceiver.cli.BackupTestSupport.read;
import static io.jwalreceiver.cli.BackupTestSupport.untar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.testkit.PgVersions;
import io.jwalreceiver.testkit.PostgresServer;
import io.jwalreceiver.testkit.Tools;
import io.jwalreceiver.testkit.Waits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jwalreceiver basebackup} end to end on 13–18, against one server per version with an extra
 * tablespace (holding a table): plain with {@code -T} and tar backups checked by pg_verifybackup
 * 15, a standby started from a {@code -R -S -C -X stream} backup, and the upstream
 * 010_pg_basebackup.pl scenarios on WAL methods, {@code -R}, slots and tablespaces
 * (pg-tools-features §3.1, §3.2). Scenario numbers refer to that list.
 */
@Tag("postgres")
class BaseBackupIT {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final Map<Integer, Fixture> FIXTURES = new ConcurrentHashMap<>();

  @TempDir static Path classTmp;
  @TempDir Path tmp;

  /**
   * A server with checksums and tablespace {@code ts1} at {@code tsDir} holding {@code ts_table}.
   */
  record Fixture(PostgresServer server, Path tsDir, String tsOid) {}

  static List<Integer> version15() {
    return PgVersions.selected().stream().filter(v -> v == 15).toList();
  }

  static Fixture fixture(int major) {
    return FIXTURES.computeIfAbsent(
        major,
        m -> {
          PostgresServer server =
              PostgresServer.start(PostgresServer.Options.of(m).withInitdbArgs("--data-checksums"));
          Path tsDir = classTmp.resolve("ts-" + m).resolve("tblspc1");
          BackupTestSupport.serverOwnedDir(tsDir);
          server.execute("CREATE TABLESPACE ts1 LOCATION '" + tsDir + "'");
          server.execute(
              "CREATE TABLE ts_table (id int, t text) TABLESPACE ts1;"
                  + "INSERT INTO ts_table SELECT g, 'row ' || g FROM generate_series(1, 1234) g");
          // Vacuumed now, so its visibility map exists before any backup: otherwise autovacuum
          // (insert threshold 1000) may create it between two backups that are compared file by
          // file (a CI run caught pg_basebackup's copy with ts_table's _vm and ours without).
          server.execute("VACUUM ts_table");
          String oid =
              server.queryString("SELECT oid::text FROM pg_tablespace WHERE spcname = 'ts1'");
          return new Fixture(server, tsDir, oid);
        });
  }

  @AfterAll
  static void stopServers() {
    FIXTURES.values().forEach(f -> f.server().close());
    FIXTURES.clear();
  }

  /** {@code bb -D dir --create-slot --slot slot0 <more>} (upstream 84–88). */
  private static CliRun bbCreatingSlot0(Map<String, String> env, String dir, String... more) {
    List<String> args = new ArrayList<>(List.of("-D", dir, "--create-slot", "--slot", "slot0"));
    args.addAll(Arrays.asList(more));
    return bb(env, args.toArray(String[]::new));
  }

  private static String s(Path p) {
    return p.toString();
  }

  // ------------------------------------------------------------------ the issue's done-when

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void plainWithTablespaceMappingAndTarPassVerification(int major) throws IOException {
    Fixture f = fixture(major);
    Map<String, String> env = env(f.server());

    // 58: without a mapping the tablespace's own (non-empty) directory is the target.
    Path failed = tmp.resolve("backup0");
    CliRun noMap = bb(env, "-D", s(failed), "-Fp");
    assertFails(noMap, "directory \"" + f.tsDir() + "\" exists but is not empty");
    assertThat(failed).doesNotExist();

    // 59, 60: plain with -T.
    Path backup = tmp.resolve("backup1");
    Path mapped = tmp.resolve("tbackup").resolve("tblspc1");
    assertOk(bb(env, "-D", s(backup), "-Fp", "-T", f.tsDir() + "=" + mapped));
    assertThat(backup.resolve("PG_VERSION")).exists();
    assertThat(backup.resolve("backup_manifest")).exists();
    assertThat(mapped).isDirectory();
    Path link = backup.resolve("pg_tblspc").resolve(f.tsOid());
    assertThat(Files.isSymbolicLink(link)).as(s(link)).isTrue();
    assertThat(Files.readSymbolicLink(link).toString()).isEqualTo(s(mapped));
    assertThat(names(mapped)).singleElement().asString().startsWith("PG_" + major + "_");
    String relPath = f.server().queryString("SELECT pg_relation_filepath('ts_table')");
    assertThat(Files.size(backup.resolve(relPath))).isPositive();
    assertThat(f.tsDir().resolve(names(mapped).get(0))).isDirectory();
    assertThat(hasWalSegment(backup.resolve("pg_wal"))).isTrue();
    verifyBackup(major, backup);

    // 53–55: tar (default -X stream): base.tar, pg_wal.tar, one <oid>.tar, the manifest.
    Path tar = tmp.resolve("tarbackup2");
    assertOk(bb(env, "-D", s(tar), "--format", "tar"));
    assertThat(names(tar))
        .containsExactlyInAnyOrder("base.tar", "pg_wal.tar", f.tsOid() + ".tar", "backup_manifest");
    // pg_verifybackup 15 reads only directories: extract the archives as a restore would.
    Path extracted = tmp.resolve("tar-extracted");
    Path tsExtracted = extracted.resolve("pg_tblspc").resolve(f.tsOid());
    Files.createDirectories(tsExtracted);
    Files.createDirectories(extracted.resolve("pg_wal"));
    untar(tar.resolve("base.tar"), extracted);
    untar(tar.resolve(f.tsOid() + ".tar"), tsExtracted);
    untar(tar.resolve("pg_wal.tar"), extracted.resolve("pg_wal"));
    Files.copy(tar.resolve("backup_manifest"), extracted.resolve("backup_manifest"));
    assertThat(read(extracted.resolve("tablespace_map")))
        .isEqualTo(f.tsOid() + " " + f.tsDir() + "\n");
    assertThat(hasWalSegment(extracted.resolve("pg_wal"))).isTrue();
    assertThat(Files.size(extracted.resolve(relPath))).isPositive();
    verifyBackup(major, extracted);
  }

  /**
   * pg_verifybackup of PostgreSQL 15 accepts version-1 manifests (servers 13–16); its pg_waldump
   * reads only version 15's WAL, so the WAL check ({@code -n} skips it) runs on 15 alone. From 17
   * the manifest is version 2, which it cannot read.
   */
  static void verifyBackup(int major, Path dir) {
    Path tool = BackupTestSupport.PG15_BIN.resolve("pg_verifybackup");
    if (major > 16 || !Files.isExecutable(tool)) {
      return;
    }
    List<String> cmd = new ArrayList<>(List.of(tool.toString()));
    if (major != 15) {
      cmd.add("-n");
    }
    cmd.add(s(dir));
    Tools.Result r = Tools.run(cmd);
    assertThat(r.exitCode()).as(r.all()).isZero();
    assertThat(r.stdout()).contains("backup successfully verified");
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void standbyFromBackupStreamsAndShowsNewRows(int major) {
    Fixture f = fixture(major);
    PostgresServer primary = f.server();
    String slot = "standby_slot";
    Path backup = tmp.resolve("standby");
    Path mapped = tmp.resolve("standby_tblspc");
    CliRun r =
        bb(
            env(primary),
            "-D",
            s(backup),
            "-R",
            "-C",
            "-S",
            slot,
            "-X",
            "stream",
            "-T",
            f.tsDir() + "=" + mapped);
    assertOk(r);
    assertThat(read(backup.resolve("postgresql.auto.conf")))
        .containsPattern("(?m)^primary_slot_name = '" + slot + "'$");
    assertThat(backup.resolve("standby.signal")).exists();
    PostgresServer.handOver(mapped);
    try (PostgresServer standby =
        PostgresServer.startFromDataDir(backup, PostgresServer.Options.of(major))) {
      Waits.await(
          WAIT,
          () ->
              "streaming"
                  .equals(
                      primary.queryString(
                          "SELECT coalesce((SELECT r.state FROM pg_stat_replication r JOIN pg_replication_slots s"
                              + " ON s.active_pid = r.pid WHERE s.slot_name = '"
                              + slot
                              + "'), 'none')")),
          "the standby to stream on slot " + slot);
      primary.execute("INSERT INTO ts_table VALUES (424242, 'after the backup')");
      String lsn = primary.currentWalLsn();
      standby.awaitReplay(lsn, WAIT);
      assertThat(standby.isInRecovery()).isTrue();
      assertThat(standby.queryString("SELECT t FROM ts_table WHERE id = 424242"))
          .isEqualTo("after the backup");
      assertThat(standby.queryString("SELECT count(*) FROM ts_table")).isEqualTo("1235");
    } finally {
      primary.execute("DELETE FROM ts_table WHERE id = 424242");
      Waits.await(
          WAIT,
          () ->
              "f"
                  .equals(
                      primary.queryString(
                          "SELECT active FROM pg_replication_slots WHERE slot_name = '"
                              + slot
                              + "'")),
          "the slot to be released");
      primary.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  // ------------------------------------------------------------------ upstream 010 scenarios

  @Test
  void helpVersionAndBadArguments() {
    // 1
    assertThat(CliRun.help("basebackup").out()).isNotEmpty();
    // 2
    assertThat(CliRun.version("basebackup").err()).isEmpty();
    // 3
    CliRun bad = CliRun.of(Map.of(), "basebackup", "--not-a-valid-option");
    assertThat(bad.exitCode()).isNotZero();
    assertThat(bad.err()).isNotEmpty();
    // 4
    CliRun none = CliRun.of(Map.of(), "basebackup");
    assertFails(none, "must specify output directory or backup target");
  }

  @Test
  void tablespaceMappingValidation() {
    Path target = tmp.resolve("backup_foo");
    Map<String, String> env = env("127.0.0.1", 1); // never reached: the options are refused first
    String[][] cases = {
      {"=/foo", "invalid tablespace mapping format \"=/foo\", must be \"OLDDIR=NEWDIR\""}, // 46
      {"/foo=", "invalid tablespace mapping format \"/foo=\", must be \"OLDDIR=NEWDIR\""}, // 47
      {"/foo=/bar=/baz", "multiple \"=\" signs in tablespace mapping"}, // 48
      {"foo=/bar", "old directory is not an absolute path in tablespace mapping: foo"}, // 49
      {"/foo=bar", "new directory is not an absolute path in tablespace mapping: bar"}, // 50
      {"foo", "invalid tablespace mapping format \"foo\", must be \"OLDDIR=NEWDIR\""}, // 51
    };
    for (String[] c : cases) {
      CliRun r = bb(env, "-D", s(target), "-Fp", "--tablespace-mapping", c[0]);
      assertThat(r.exitCode()).as(c[0]).isEqualTo(1);
      assertThat(r.firstErrorLine()).as(c[0]).isEqualTo("jwalreceiver: error: " + c[1]);
      assertThat(target).doesNotExist();
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void recoveryConfigAndWalMethods(int major) {
    Fixture f = fixture(major);
    Map<String, String> env = env(f.server());
    String tsMap = f.tsDir() + "=" + tmp.resolve("ts");

    // 67
    Path r = tmp.resolve("backupR");
    assertOk(bb(env, "-D", s(r), "--write-recovery-conf", "-T", tsMap));
    assertThat(r.resolve("standby.signal")).isRegularFile();
    assertThat(read(r.resolve("postgresql.auto.conf")))
        .containsPattern("(?m)^primary_conninfo = '.*port=" + f.server().port() + ".*'$");

    // 68 (default -X stream), 69 (fetch), 70 (stream)
    for (String[] wal : new String[][] {{}, {"-X", "fetch"}, {"-X", "stream"}}) {
      Path d = tmp.resolve("backupx" + wal.length + (wal.length > 0 ? wal[1] : ""));
      List<String> args = new ArrayList<>(List.of("-D", s(d), "-T", f.tsDir() + "=" + d + "_ts"));
      args.addAll(List.of(wal));
      assertOk(bb(env, args.toArray(String[]::new)));
      assertThat(hasWalSegment(d.resolve("pg_wal"))).as(String.join(" ", wal)).isTrue();
    }

    // 71
    Path xst = tmp.resolve("backupxst");
    assertOk(bb(env, "-D", s(xst), "-X", "stream", "--format", "tar"));
    assertThat(xst.resolve("pg_wal.tar")).isRegularFile();
    assertThat(names(xst)).doesNotContain(".jwalreceiver-wal-stream");

    // -R in tar format: base.tar is rewritten with the settings and standby.signal.
    Path tarR = tmp.resolve("tarR");
    assertOk(bb(env, "-D", s(tarR), "-Ft", "-R", "-X", "none"));
    Tools.Result members = Tools.run(List.of("tar", "-tvf", s(tarR.resolve("base.tar"))));
    assertThat(members.exitCode()).as(members.all()).isZero();
    assertThat(members.stdout()).contains("standby.signal").contains("global/pg_control");
    Tools.Result auto =
        Tools.run(List.of("tar", "-xOf", s(tarR.resolve("base.tar")), "postgresql.auto.conf"));
    assertThat(auto.exitCode()).as(auto.all()).isZero();
    assertThat(auto.stdout())
        .containsPattern("(?m)^primary_conninfo = '.*port=" + f.server().port() + ".*'$");

    // 72
    assertOk(
        bb(
            env,
            "-D",
            s(tmp.resolve("backupnoslot")),
            "-X",
            "stream",
            "--no-slot",
            "-T",
            f.tsDir() + "=" + tmp.resolve("noslot_ts")));
    // 73
    Path xf = tmp.resolve("backupxf2");
    assertOk(bb(env, "-D", s(xf), "-X", "fetch", "-T", f.tsDir() + "=" + tmp.resolve("xf2_ts")));
    assertThat(hasWalSegment(xf.resolve("pg_wal"))).isTrue();

    // 86: missing parents are created.
    Path co = tmp.resolve("backuptr").resolve("co");
    assertOk(bb(env, "-D", s(co), "-X", "none", "-T", f.tsDir() + "=" + tmp.resolve("co_ts")));
    assertThat(co.resolve("PG_VERSION")).exists();

    // 92 [17+]: an explicit dbname goes into primary_conninfo.
    if (major >= 17) {
      Map<String, String> dbEnv = env(f.server());
      Path db = tmp.resolve("backup_dbname_R");
      assertOk(
          bb(
              dbEnv,
              "-D",
              s(db),
              "-X",
              "stream",
              "--dbname",
              "dbname=db1",
              "--write-recovery-conf",
              "-T",
              f.tsDir() + "=" + tmp.resolve("db_ts")));
      assertThat(read(db.resolve("postgresql.auto.conf"))).contains("dbname=db1");
    }
  }

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void slots(int major) {
    Fixture f = fixture(major);
    PostgresServer server = f.server();
    Map<String, String> env = env(server);
    try {
      // 82
      CliRun absent =
          bb(
              env,
              "-D",
              s(tmp.resolve("backupxs_sl_fail")),
              "-X",
              "stream",
              "-S",
              "slot0",
              "-T",
              f.tsDir() + "=" + tmp.resolve("sl_fail_ts"));
      assertThat(absent.exitCode()).as(absent.err()).isEqualTo(1);
      assertThat(absent.err())
          .contains("replication slot \"slot0\" does not exist")
          .doesNotContain("Exception");
      assertThat(tmp.resolve("backupxs_sl_fail")).doesNotExist();
      // 83
      assertFails(
          bb(env, "-D", s(tmp.resolve("backupxs_slot")), "--create-slot"),
          "--create-slot needs a slot to be specified using --slot");
      // 84
      assertFails(
          bbCreatingSlot0(env, s(tmp.resolve("backupxs_slot")), "--no-slot"),
          "--no-slot cannot be used with slot name");
      assertThat(tmp.resolve("backupxs_slot")).doesNotExist();
      // 87
      assertOk(
          bbCreatingSlot0(
              env,
              s(tmp.resolve("backupxs_slot")),
              "-T",
              f.tsDir() + "=" + tmp.resolve("slot_ts")));
      assertThat(
              server.queryString(
                  "SELECT restart_lsn IS NOT NULL FROM pg_replication_slots WHERE slot_name = 'slot0'"))
          .isEqualTo("t");
      // 88
      Path again = tmp.resolve("backupxs_slot1");
      CliRun exists =
          bbCreatingSlot0(env, s(again), "-T", f.tsDir() + "=" + tmp.resolve("slot1_ts"));
      assertFails(
          exists,
          "could not send replication command \"CREATE_REPLICATION_SLOT \"slot0\" PHYSICAL ");
      assertThat(exists.firstErrorLine())
          .endsWith(": ERROR:  replication slot \"slot0\" already exists");
      assertThat(again).doesNotExist();
      // 89
      server.execute("SELECT pg_create_physical_replication_slot('slot1')");
      assertThat(
              server.queryString(
                  "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'slot1'"))
          .isNull();
      assertFails(
          bb(env, "-D", s(tmp.resolve("fail")), "-S", "slot1", "-X", "none"),
          "replication slots can only be used with WAL streaming");
      assertThat(tmp.resolve("fail")).doesNotExist();
      // 90
      assertOk(
          bb(
              env,
              "-D",
              s(tmp.resolve("backupxs_sl")),
              "-X",
              "stream",
              "-S",
              "slot1",
              "-T",
              f.tsDir() + "=" + tmp.resolve("sl_ts")));
      assertThat(
              server.queryString(
                  "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'slot1'"))
          .matches("^0/[0-9A-F]{7,8}$");
      // 91
      Path slR = tmp.resolve("backupxs_sl_R");
      assertOk(
          bb(
              env,
              "-D",
              s(slR),
              "-X",
              "stream",
              "-S",
              "slot1",
              "--write-recovery-conf",
              "-T",
              f.tsDir() + "=" + tmp.resolve("sl_R_ts")));
      assertThat(read(slR.resolve("postgresql.auto.conf")))
          .containsPattern("(?m)^primary_slot_name = 'slot1'$");
      assertThat(server.queryString("SHOW data_checksums")).isEqualTo("on");
    } finally {
      server.execute(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
              + " WHERE slot_name IN ('slot0', 'slot1')");
    }
  }

  /** 103 and 011_in_place_tablespace.pl (105, 106): in-place tablespaces, 16+. */
  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource(PgVersions.SELECTED)
  void inPlaceTablespace(int major) throws SQLException {
    PgVersions.assumeAtLeast(major, 16);
    Fixture f = fixture(major);
    PostgresServer server = f.server();
    try (Connection c = server.sql();
        Statement st = c.createStatement()) {
      st.execute("SET allow_in_place_tablespaces = on");
      st.execute("CREATE TABLESPACE inplace LOCATION ''");
      st.execute("CREATE TABLE test2 (a int) TABLESPACE inplace");
      st.execute("INSERT INTO test2 VALUES (1)");
    }
    try {
      String oid =
          server.queryString("SELECT oid::text FROM pg_tablespace WHERE spcname = 'inplace'");
      Path backup = tmp.resolve("backup3");
      assertOk(bb(env(server), "-D", s(backup), "-T", f.tsDir() + "=" + tmp.resolve("b3_ts")));
      Path inPlace = backup.resolve("pg_tblspc").resolve(oid);
      assertThat(Files.isSymbolicLink(inPlace)).isFalse();
      assertThat(names(inPlace)).singleElement().asString().startsWith("PG_");
      String relPath = server.queryString("SELECT pg_relation_filepath('test2')");
      assertThat(backup.resolve(relPath)).isRegularFile();

      Path tar = tmp.resolve("tar_inplace");
      assertOk(bb(env(server), "-D", s(tar), "--format", "tar", "--wal-method", "none"));
      assertThat(names(tar)).contains("base.tar", oid + ".tar", f.tsOid() + ".tar");
      assertThat(names(tar).stream().filter(n -> n.matches("[0-9]+\\.tar"))).hasSize(2);
    } finally {
      server.execute("DROP TABLE IF EXISTS test2");
      server.execute("DROP TABLESPACE IF EXISTS inplace");
    }
  }

  // ------------------------------------------------------------------ against pg_basebackup

  @ParameterizedTest(name = "PostgreSQL {0}")
  @MethodSource("version15")
  void sameFileSetAsPgBasebackup(int major) {
    Path tool = BackupTestSupport.PG15_BIN.resolve("pg_basebackup");
    assumeTrue(Files.isExecutable(tool), "pg_basebackup 15 installed");
    Fixture f = fixture(major);
    PostgresServer server = f.server();
    Path ours = tmp.resolve("ours");
    Path oursTs = tmp.resolve("ours_ts");
    Path theirs = tmp.resolve("theirs");
    Path theirsTs = tmp.resolve("theirs_ts");
    assertOk(bb(env(server), "-D", s(ours), "-X", "fetch", "-T", f.tsDir() + "=" + oursTs));
    Tools.Result pg =
        Tools.run(
            List.of(
                tool.toString(),
                "--no-sync",
                "-c",
                "fast",
                "-X",
                "fetch",
                "-D",
                s(theirs),
                "-T",
                f.tsDir() + "=" + theirsTs,
                "-h",
                server.host(),
                "-p",
                Integer.toString(server.port()),
                "-U",
                PostgresServer.REPL_TRUST,
                "-w"));
    assertThat(pg.exitCode()).as(pg.all()).isZero();

    assertThat(comparable(listing(ours))).isEqualTo(comparable(listing(theirs)));
    assertThat(listing(oursTs)).isEqualTo(listing(theirsTs));
    assertThat(Files.isSymbolicLink(ours.resolve("pg_tblspc").resolve(f.tsOid()))).isTrue();
    assertThat(Files.isSymbolicLink(theirs.resolve("pg_tblspc").resolve(f.tsOid()))).isTrue();
  }

  /** A listing without what depends on timing: the label, the manifest, WAL files. */
  private static NavigableSet<String> comparable(NavigableSet<String> names) {
    TreeSet<String> kept = new TreeSet<>(names);
    kept.removeIf(
        n ->
            n.equals("backup_label")
                || n.equals("backup_manifest")
                || (n.startsWith("pg_wal/")
                    && !n.equals("pg_wal/")
                    && !n.equals("pg_wal/archive_status/")));
    return kept;
  }
}
