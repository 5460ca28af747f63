// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.cli.demo.Demo;
import io.jwalreceiver.embedded.Commands;
import io.jwalreceiver.embedded.FileTrees;
import io.jwalreceiver.embedded.PgCtl;
import io.jwalreceiver.testkit.PgVersions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code jwalreceiver demo} end to end, in-process: a standby built by our basebackup streams from
 * an embedded primary and shows the row written there; afterwards nothing is left behind, or with
 * {@code --keep} both servers run and the printed instructions stop them.
 */
@Tag("postgres")
class DemoIT {

  private static final Pattern DEMO_DIR = Pattern.compile("==> Working in (/\\S+)");

  /** The demo's default version, or the highest selected one when -Dpg.versions excludes it. */
  private static List<String> demoArgs(String... more) {
    List<String> args = new ArrayList<>(List.of("demo"));
    if (!PgVersions.selected().contains(DemoCommand.DEFAULT_VERSION)) {
      args.addAll(List.of("--pg-version", Integer.toString(PgVersions.highest())));
    }
    args.addAll(List.of(more));
    return args;
  }

  @Test
  void buildsAStreamingStandbyShowsTheReplicatedRowAndLeavesNothingBehind() {
    CliRun r = CliRun.of(Map.of(), demoArgs().toArray(String[]::new));
    Path dir = demoDir(r);

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("initdb -D " + dir.resolve("primary"))
        .contains("host    replication  replicator  127.0.0.1/32   scram-sha-256")
        .contains("SCRAM-SHA-256$")
        .contains("$ jwalreceiver slot create " + Demo.SLOT)
        .contains("$ pg_basebackup -D " + dir.resolve("standby") + " -R -S " + Demo.SLOT)
        .contains("$ jwalreceiver basebackup -D " + dir.resolve("standby") + " -R -S " + Demo.SLOT)
        .containsPattern("\\| streaming \\|")
        .containsPattern(Demo.SLOT + " +\\| physical +\\| t ")
        .containsPattern("1 +\\| " + Demo.MESSAGE + " \\| t")
        .containsPattern("[0-9A-F]{24} +16,777,216 bytes")
        .contains("==> Cleaning up")
        .contains("==> Demo finished in ");
    assertThat(r.err()).doesNotContain("error").doesNotContain("Exception");
    assertThat(dir).doesNotExist();
    assertThat(postmastersIn(dir)).isEmpty();
  }

  @Test
  void keepLeavesBothServersRunningAndPrintsHowToStopThem() throws IOException {
    CliRun r = CliRun.of(Map.of(), demoArgs("--keep").toArray(String[]::new));
    Path dir = demoDir(r);
    try {
      assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
      assertThat(r.out())
          .doesNotContain("==> Cleaning up")
          .contains("==> Leaving both servers running (--keep)")
          .containsPattern("standby: psql -h 127\\.0\\.0\\.1 -p \\d+ -U postgres -d demo");
      assertThat(postmastersIn(dir)).hasSize(2);

      Matcher stop =
          Pattern.compile("to stop both servers and remove everything:\\n +\\$ (.+)\\n")
              .matcher(r.out());
      assertThat(stop.find()).as(r.out()).isTrue();
      assertThat(stop.group(1))
          .contains("pg_ctl -D " + dir.resolve("standby") + " stop")
          .endsWith("rm -rf " + dir);
      Commands.Result stopped =
          Commands.run(List.of("bash", "-c", stop.group(1)), Path.of("/"), Duration.ofMinutes(2));
      assertThat(stopped.ok()).as(stopped.output()).isTrue();
      assertThat(postmastersIn(dir)).isEmpty();
      assertThat(dir).doesNotExist();
    } finally {
      for (String data : List.of("standby", "primary")) {
        PgCtl.postmaster(dir.resolve(data)).ifPresent(PgCtl::kill);
      }
      FileTrees.deleteTree(dir);
    }
  }

  @Test
  void s3BacksUpAndArchivesIntoTheEmbeddedS3ServerWithItsOwnCredentialsAndVerifies() {
    int version = PgVersions.highest();
    assumeTrue(version >= DemoCommand.S3_MIN_VERSION, "--s3 needs 15 or later");
    // The user's AWS environment points nowhere: the demo's commands must not use it.
    Map<String, String> userAws =
        Map.of(
            "AWS_ENDPOINT_URL", "http://127.0.0.1:9",
            "AWS_ACCESS_KEY_ID", "wrong",
            "AWS_SECRET_ACCESS_KEY", "wrong");
    CliRun r = CliRun.of(userAws, "demo", "--s3", "--pg-version", Integer.toString(version));
    Path dir = demoDir(r);

    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("==> Starting an S3 API server: S3Proxy 4.1.0")
        .containsPattern(
            "\\$ export AWS_ACCESS_KEY_ID=jwalreceiver-test AWS_ENDPOINT_URL=http://127\\.0\\.0\\.1:\\d+ ")
        .contains("$ jwalreceiver slot create demo_s3 -h 127.0.0.1")
        .contains("$ jwalreceiver basebackup -t s3://demo/cluster -X stream")
        .containsPattern(
            "\\$ jwalreceiver receivewal -D \\S+ -S demo_s3 --target s3://demo/cluster -E [0-9A-F]+/[0-9A-F]+ -v ")
        .containsPattern("demo/cluster/basebackups/\\d{8}T\\d{6}Z/base\\.tar +[0-9,]+ bytes")
        .containsPattern("demo/cluster/basebackups/\\d{8}T\\d{6}Z/backup_manifest +[0-9,]+ bytes")
        .containsPattern("demo/cluster/wal/[0-9A-F]{24} +16,777,216 bytes")
        .contains("$ jwalreceiver archive verify --archive s3://demo/cluster")
        .containsPattern("backup \\d{8}T\\d{6}Z \\(\\d+ objects")
        .contains("archive verified: no problems")
        .contains("==> Stopping the S3 API server")
        .contains("==> Demo finished in ");
    assertThat(r.err()).doesNotContain("error").doesNotContain("Exception");
    assertThat(dir).doesNotExist();
    assertThat(postmastersIn(dir)).isEmpty();
    assertThat(
            ProcessHandle.allProcesses()
                .filter(
                    p -> p.info().commandLine().map(c -> c.contains(dir.toString())).orElse(false))
                .toList())
        .as("S3Proxy and servers stopped")
        .isEmpty();
  }

  private static Path demoDir(CliRun r) {
    Matcher m = DEMO_DIR.matcher(r.out());
    assertThat(m.find()).as(r.out() + r.err()).isTrue();
    return Path.of(m.group(1));
  }

  /** Postmasters started on a data directory under {@code dir} ({@code postgres -D dir/…}). */
  private static List<ProcessHandle> postmastersIn(Path dir) {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(" -D " + dir + "/")).orElse(false))
        .toList();
  }
}
