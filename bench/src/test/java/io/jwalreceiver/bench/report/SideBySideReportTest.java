// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SideBySideReportTest {

  @TempDir Path dir;

  private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  private void section(String name, String props, String... rows) throws IOException {
    Files.writeString(
        dir.resolve("side-by-side-" + name + ".csv"),
        SideBySideResults.HEADER + "\n" + String.join("\n", rows) + "\n");
    Files.writeString(dir.resolve("side-by-side-" + name + ".properties"), props);
  }

  private void allSections() throws IOException {
    section(
        "receivewal",
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
        "basebackup",
        "pgbench_scale=100\nbackup_bytes=1500000000\nserver_version=15.18\n",
        "basebackup,plain,pg,1,10.0,1,2,1500000000,1500000000,,",
        "basebackup,plain,jwr,1,12.5,1,2,1500000000,1500000000,,",
        "basebackup,tar-gzip,pg,1,60.0,55,2,1500000000,300000000,,",
        "basebackup,tar-gzip,jwr,1,30.0,58,2,1500000000,301000000,,");
    section(
        "syncstandby",
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
    for (String png :
        new String[] {
          SideBySideReport.RATIOS_PNG, SideBySideReport.THROUGHPUT_PNG, SideBySideReport.TPS_PNG
        }) {
      byte[] bytes = Files.readAllBytes(dir.resolve(png));
      assertThat(Arrays.copyOf(bytes, 8)).as(png).isEqualTo(PNG_SIGNATURE);
    }
  }

  @Test
  void aMissingDocumentIsCreatedAndASecondRunReplacesOnlyTheSection() throws IOException {
    section(
        "syncstandby",
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
    assertThat(dir.resolve(SideBySideReport.RATIOS_PNG)).exists();
    assertThat(dir.resolve(SideBySideReport.THROUGHPUT_PNG)).doesNotExist();
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

  @Test
  void medianOfAnEvenCountIsTheMeanOfTheMiddleTwo() {
    assertThat(SideBySideResults.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
    assertThat(SideBySideResults.median(new double[] {})).isNaN();
  }
}
