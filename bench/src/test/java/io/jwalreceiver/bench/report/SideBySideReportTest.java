// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SideBySideReportTest {

  @TempDir Path dir;

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  /** The format before max RSS and CPU per GB (11 columns): still read. */
  private static final String ELEVEN_COLUMNS = SideBySideResults.HEADER_WITHOUT_RSS;

  /** The 13-column format. */
  private static final String THIRTEEN_COLUMNS = SideBySideResults.HEADER;

  /**
   * Writes one section's results: the CSV ({@code header}, then {@code rows}, whose first column
   * names the section) and its {@code .properties}.
   */
  private void section(String header, String props, String... rows) throws IOException {
    String name = rows[0].substring(0, rows[0].indexOf(','));
    Files.writeString(
        dir.resolve("side-by-side-" + name + ".csv"),
        header + "\n" + String.join("\n", rows) + "\n");
    Files.writeString(dir.resolve("side-by-side-" + name + ".properties"), props);
  }

  /** Writes the report of the results in {@link #dir} into doc.md there; returns the doc. */
  private String writtenDoc() throws IOException {
    Path doc = dir.resolve("doc.md");
    new SideBySideReport(dir, doc).write();
    return Files.readString(doc, StandardCharsets.UTF_8);
  }

  /** Each chart was written as a PNG. */
  private void assertPngs(String... pngs) throws IOException {
    for (String png : pngs) {
      byte[] bytes = Files.readAllBytes(dir.resolve(png));
      assertThat(Arrays.copyOf(bytes, 8)).as(png).isEqualTo(PNG_SIGNATURE);
    }
  }

  private void allSections() throws IOException {
    section(
        ELEVEN_COLUMNS,
        "date=2026-11-27 20:00 UTC\nnproc=2\ncpu=Test CPU\nmemory_kib=1048576\nwal_bytes=1000000000\nruns=3\nserver_version=15.18\nquick=0\n",
        // pg walls 4, 6, 5 (median 5); jwr walls 2, 9, 4 (median 4): ratio 1.25
        "receivewal,default,pg,1,4.0,0.1,2.0,1000000000,,3.9,",
        "receivewal,default,jwr,1,2.0,1.0,1.0,1000000000,,1.5,",
        "receivewal,default,pg,2,6.0,0.1,2.0,1000000000,,5.9,",
        "receivewal,default,jwr,2,9.0,1.0,1.0,1000000000,,8.5,",
        "receivewal,default,pg,3,5.0,0.1,2.0,1000000000,,4.9,",
        "receivewal,default,jwr,3,4.0,1.0,1.0,1000000000,,3.5,",
        "receivewal,synchronous,pg,1,10.0,0.1,2.0,1000000000,,9.9,",
        "receivewal,synchronous,jwr,1,8.0,1.0,1.0,1000000000,,7.5,");
    section(
        ELEVEN_COLUMNS,
        "pgbench_scale=100\nbackup_bytes=1500000000\nserver_version=15.18\n",
        "basebackup,plain,pg,1,10.0,1,2,1500000000,1500000000,,",
        "basebackup,plain,jwr,1,12.5,1,2,1500000000,1500000000,,",
        "basebackup,tar-gzip,pg,1,60.0,55,2,1500000000,300000000,,",
        "basebackup,tar-gzip,jwr,1,30.0,58,2,1500000000,301000000,,");
    section(
        ELEVEN_COLUMNS,
        "pgbench=pgbench -T 60 -c 4 -j 2 (TPC-B-like)\npgbench_scale=100\n",
        "syncstandby,pgbench,none,1,60,,,,,,1000.0",
        "syncstandby,pgbench,pg,1,60,,,,,,400.0",
        "syncstandby,pgbench,jwr,1,60,,,,,,500.0");
  }

  @Test
  void ratiosAreMediansOfThePostgresToolOverOurs() throws IOException {
    allSections();
    SideBySideReport report = new SideBySideReport(dir, dir.resolve("doc.md"));

    assertThat(report.comparisons())
        .extracting(SideBySideReport.Comparison::caseName, SideBySideReport.Comparison::ratio)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("default", 1.25),
            org.assertj.core.groups.Tuple.tuple("synchronous", 1.25),
            org.assertj.core.groups.Tuple.tuple("plain", 0.8),
            org.assertj.core.groups.Tuple.tuple("tar-gzip", 2.0),
            org.assertj.core.groups.Tuple.tuple("pgbench", 1.25));
  }

  @Test
  void writesChartsAndKeepsTheHandWrittenParts() throws IOException {
    allSections();
    Path doc = dir.resolve("doc.md");
    Files.writeString(
        doc,
        "# Benchmarks\n\nhand-written intro naming `"
            + SideBySideReport.BEGIN
            + "` in the text\n\n"
            + SideBySideReport.BEGIN
            + "\nold generated text\n"
            + SideBySideReport.END
            + "\n\n## Earlier results\n\nkept\n");

    new SideBySideReport(dir, doc).write();

    String text = Files.readString(doc, StandardCharsets.UTF_8);
    assertThat(text)
        .startsWith(
            "# Benchmarks\n\nhand-written intro naming `"
                + SideBySideReport.BEGIN
                + "` in the text\n\n"
                + SideBySideReport.BEGIN)
        .endsWith(SideBySideReport.END + "\n\n## Earlier results\n\nkept\n")
        .doesNotContain("old generated text")
        .contains("| receivewal catch-up, default durability | **1.25** |")
        .contains("| basebackup tar -z (client gzip), -X stream | **2.00** | ≥ 1.8 |")
        .contains("| synchronous standby: pgbench TPS on the primary | **1.25** |")
        .contains("![ratios](side-by-side-ratios.png)")
        .contains("| jwalreceiver receivewal --synchronous | 500.0 |")
        .contains("Test CPU");
    // Ratios come before the absolute figures.
    assertThat(text.indexOf("**1.25**")).isLessThan(text.indexOf("Absolute figures"));
    assertPngs(
        SideBySideCharts.RATIOS_PNG, SideBySideCharts.THROUGHPUT_PNG, SideBySideCharts.TPS_PNG);
  }

  @Test
  void aMissingDocumentIsCreatedAndASecondRunReplacesOnlyTheSection() throws IOException {
    section(
        ELEVEN_COLUMNS,
        "quick=1\n",
        "syncstandby,pgbench,pg,1,10,,,,,,100.0",
        "syncstandby,pgbench,jwr,1,10,,,,,,50.0",
        "syncstandby,pgbench,none,1,10,,,,,,300.0");
    Path doc = dir.resolve("new.md");
    new SideBySideReport(dir, doc).write();
    new SideBySideReport(dir, doc).write();

    String text = Files.readString(doc);
    assertThat(text).startsWith("# Benchmarks\n\n" + SideBySideReport.BEGIN);
    assertThat(text.split(SideBySideReport.BEGIN, -1)).hasSize(2);
    assertThat(text).contains("Smoke run (`--quick`)").contains("**0.50**");
    assertThat(dir.resolve(SideBySideCharts.RATIOS_PNG)).exists();
    assertThat(dir.resolve(SideBySideCharts.THROUGHPUT_PNG)).doesNotExist();
  }

  @Test
  void rejectsAMalformedResultFile() throws IOException {
    Files.writeString(dir.resolve("side-by-side-basebackup.csv"), "a,b\n1,2\n");
    assertThatThrownBy(() -> new SideBySideReport(dir, dir.resolve("doc.md")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("header");
    assertThatThrownBy(() -> SideBySideReport.splice(SideBySideReport.BEGIN + "\nx\n", "y"))
        .isInstanceOf(IllegalArgumentException.class);
    String twice =
        SideBySideReport.BEGIN + "\n" + SideBySideReport.END + "\n" + SideBySideReport.BEGIN + "\n";
    assertThatThrownBy(() -> SideBySideReport.splice(twice, "y"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("twice");
  }

  /**
   * Issue #19's shape: every tool of a case (jwr-before, the send ceiling, cp -a && sync,
   * pgBackRest), client CPU per GB, max RSS and the start-up section, in the 13-column format.
   * Backup and WAL are 10^9 bytes, so CPU per GB equals CPU.
   */
  private void issue19Sections() throws IOException {
    String common = "nproc=2\nserver_version=15.18\nruns=1\n";
    section(
        THIRTEEN_COLUMNS,
        common + "pgbench_scale=100\nbackup_bytes=1000000000\npgbackrest=pgBackRest 2.45\n",
        "basebackup,plain,pg,1,4.0,1.5,0.5,1000000000,1000000000,,,9216,2.000",
        "basebackup,plain,jwr,1,3.0,2.0,0.4,1000000000,1000000000,,,81920,2.400",
        "basebackup,plain,jwr-before,1,3.5,2.5,0.5,1000000000,1000000000,,,92160,3.000",
        "basebackup,ceiling,ceiling,1,2.0,1.0,0.3,1000000000,,,,8000,1.300",
        "basebackup,cp-sync,cp-sync,1,1.5,0.2,0.4,1000000000,1000000000,,,4096,0.600",
        "basebackup,pgbackrest,pgbackrest,1,5.0,3.0,0.5,1000000000,90000000,,,21504,3.500",
        "basebackup,plain-N,pg,1,2.0,1.5,0.3,1000000000,1000000000,,,9216,1.800",
        "basebackup,plain-N,jwr,1,3.0,2.5,0.2,1000000000,1000000000,,,81920,2.700",
        "basebackup,tar,pg,1,3.0,0.8,0.2,1000000000,1000000000,,,9216,1.000",
        "basebackup,tar,jwr,1,2.5,0.7,0.2,1000000000,1000000000,,,81920,0.900");
    section(
        THIRTEEN_COLUMNS,
        common + "wal_bytes=1000000000\n",
        "receivewal,default,pg,1,10.0,0.5,0.5,1000000000,,9.9,,9000,1.000",
        "receivewal,default,jwr,1,8.0,0.5,0.4,1000000000,,7.9,,60000,0.900");
    section(
        THIRTEEN_COLUMNS,
        common + "startup_runs=3\n",
        "startup,version,jwr,1,0.12,0.1,0.02,,,,,40960,",
        "startup,version,jwr,2,0.14,0.1,0.02,,,,,40960,",
        "startup,version,jwr,3,0.20,0.1,0.02,,,,,40960,",
        "startup,link-version,jwr,1,0.18,0.1,0.02,,,,,40960,",
        "startup,version,pg,1,0.002,0.001,0.001,,,,,4096,");
  }

  @Test
  void issue19TargetsAreComputedFromTheNumbers() throws IOException {
    issue19Sections();
    List<Issue19Tables.Target> targets = Issue19Tables.targets(SideBySideResults.load(dir));

    assertThat(targets)
        .extracting(Issue19Tables.Target::value, Issue19Tables.Target::met)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                1.2, Issue19Tables.Verdict.NOT_MET), // CPU/GB plain 2.4 ÷ 2.0
            org.assertj.core.groups.Tuple.tuple(
                1.5, Issue19Tables.Verdict.NOT_MET), // CPU/GB plain -N 2.7 ÷ 1.8
            org.assertj.core.groups.Tuple.tuple(0.9, Issue19Tables.Verdict.MET), // CPU/GB tar
            org.assertj.core.groups.Tuple.tuple(
                0.9, Issue19Tables.Verdict.MET), // CPU/GB receivewal
            org.assertj.core.groups.Tuple.tuple(
                1.5, Issue19Tables.Verdict.NOT_MET), // plain 3.0 ÷ ceiling 2.0
            org.assertj.core.groups.Tuple.tuple(
                1.5, Issue19Tables.Verdict.NOT_MET), // plain -N wall 3.0 ÷ 2.0
            org.assertj.core.groups.Tuple.tuple(
                1.25, Issue19Tables.Verdict.MET), // receivewal speed 10 ÷ 8
            org.assertj.core.groups.Tuple.tuple(
                0.14, Issue19Tables.Verdict.MET), // --version median
            org.assertj.core.groups.Tuple.tuple(
                0.18, Issue19Tables.Verdict.NOT_MET), // pg_receivewal link
            org.assertj.core.groups.Tuple.tuple(
                80.0, Issue19Tables.Verdict.NOT_MET), // RSS plain, MiB
            org.assertj.core.groups.Tuple.tuple(
                60000 / 1024.0, Issue19Tables.Verdict.MET)); // RSS receivewal
    // The --before jar's values come along where it ran: plain CPU/GB 3.0 ÷ 2.0, wall ÷ ceiling.
    assertThat(targets.get(0).before()).isEqualTo(1.5);
    assertThat(targets.get(4).before()).isEqualTo(1.75);
    assertThat(targets.get(5).before()).isNaN();
  }

  @Test
  void writesIssue19TablesAndCharts() throws IOException {
    issue19Sections();
    Path doc = dir.resolve("doc.md");
    new SideBySideReport(dir, doc).write();

    String text = Files.readString(doc, StandardCharsets.UTF_8);
    assertThat(text)
        .contains(
            "| plain with fsync, wall ÷ the server send ceiling's | ≤ 1.25× | **1.50×** | 1.75× | **not met** |")
        .contains("| --version, median wall | ≤ 0.15 s | **0.140 s** | – | met |")
        // The ceiling and pgBackRest are compared with pg_basebackup's plain backup.
        .contains(
            "| pgbackrest | pgBackRest | 5.00 (5.00–5.00) | 3.50 | 3.500 | 21.0 | 1.25× | 1.75× |")
        .contains(
            "| plain | jwalreceiver basebackup (before) | 3.50 (3.50–3.50) | 3.00 | 3.000 | 90.0 | 0.88× | 1.50× |")
        .contains(
            "| default | jwalreceiver receivewal | 8.00 (8.00–8.00) | 0.90 | 0.900 | 58.6 | 0.80× | 0.90× |")
        .contains("jwalreceiver basebackup 1.50×")
        .contains("| --version | jwalreceiver | 0.140 | 0.120 | 0.120 | 40.0 |")
        .contains("| pg_receivewal --version (link) | jwalreceiver | 0.180 |")
        .contains("![CPU per GB](side-by-side-cpu-per-gb.png)")
        // Only cases with both tools get a pg ÷ jwr ratio.
        .contains("| basebackup plain -N (no fsync), -X stream | **0.67** |")
        .doesNotContain("| basebackup pgBackRest full backup |");
    assertPngs(
        SideBySideCharts.CPU_PNG, SideBySideCharts.STARTUP_PNG, SideBySideCharts.THROUGHPUT_PNG);
  }

  @Test
  void cpSyncIsAReferenceRowLikeTheSendCeiling() throws IOException {
    issue19Sections();
    SideBySideResults.Section bb = SideBySideResults.load(dir).get("basebackup");
    assertThat(bb.tools("cp-sync")).containsExactly("cp-sync");
    assertThat(bb.median("cp-sync", "cp-sync", SideBySideResults.Row::wall)).isEqualTo(1.5);
    assertThat(bb.median("cp-sync", "cp-sync", SideBySideResults.Row::cpu))
        .isCloseTo(0.6, org.assertj.core.data.Offset.offset(1e-9));

    assertThat(writtenDoc())
        // Its own row, with ratios to pg_basebackup's plain backup (wall 1.5 ÷ 4, CPU/GB 0.6 ÷ 2).
        .contains(
            "| cp-sync | cp -a && sync | 1.50 (1.50–1.50) | 0.60 | 0.600 | 4.0 | 0.38× | 0.30× |")
        // Plain backups ÷ cp -a && sync, where the send ceiling's ratio is: 4 ÷ 1.5, 3 ÷ 1.5, ...
        .contains(
            "Plain backups ÷ cp -a && sync, the machine's copy limit (wall): pg_basebackup 2.67×,"
                + " jwalreceiver basebackup 2.00×, jwalreceiver basebackup (before) 2.33×.")
        .contains("Plain backups ÷ the send ceiling (wall): pg_basebackup 2.00×")
        // No pg ÷ jwr comparison and no target of its own.
        .doesNotContain("| basebackup copy limit")
        .doesNotContain("÷ cp -a && sync's |");
    // The send ceiling's target is unchanged by the new row.
    assertThat(Issue19Tables.targets(SideBySideResults.load(dir))).hasSize(11);
  }

  @Test
  void thePerfBarDatasetIsNamedInTheConditions() throws IOException {
    section(
        THIRTEEN_COLUMNS,
        "perfbar_rows=200000\nbackup_bytes=60000000\ndataset=perfbar: one table of 200000 rows\n",
        "basebackup,plain,pg,1,1.0,0.5,0.1,60000000,60000000,,,9216,10.000",
        "basebackup,plain,jwr,1,1.2,0.6,0.1,60000000,60000000,,,81920,11.667");
    assertThat(writtenDoc())
        .contains(
            "basebackup of the perf bar table (200000 rows of md5 + 200 bytes), plain backup 60 MB;")
        .contains(
            "| data | the perf bar table (200000 rows of md5 + 200 bytes), 60 MB plain backup | ")
        .contains("| dataset | perfbar: one table of 200000 rows | ")
        .doesNotContain("pgbench scale");
  }

  @Test
  void oldResultsGetCpuPerGbOfTheBackupSizeAndNoRss() throws IOException {
    // 11 columns; run 1's input_bytes differ between the tools (the database's size for the
    // first tool, the plain backup's for the rest), backup_bytes is the one denominator.
    section(
        ELEVEN_COLUMNS,
        "backup_bytes=2000000000\n",
        "basebackup,plain,jwr,1,5.0,3.0,1.0,1500000000,2000000000,,",
        "basebackup,plain,pg,1,4.0,1.0,1.0,2000000000,2000000000,,");
    SideBySideResults.Section bb = SideBySideResults.load(dir).get("basebackup");

    assertThat(bb.median("plain", "jwr", SideBySideResults.Row::cpuPerGb)).isEqualTo(2.0);
    assertThat(bb.median("plain", "pg", SideBySideResults.Row::cpuPerGb)).isEqualTo(1.0);
    assertThat(bb.median("plain", "jwr", SideBySideResults.Row::maxRssMib)).isNaN();
  }

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertThat(SideBySideResults.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
    assertThat(SideBySideResults.median(new double[] {})).isNaN();
  }
}
