// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.demo;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.embedded.S3Proxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The demo's object-storage step ({@code demo --s3}): an embedded S3 API server ({@link S3Proxy}),
 * then our {@code basebackup -t s3://…}, a short {@code receivewal --target s3://…} run up to the
 * end of a switched segment on its own slot, and {@code archive verify}, each run in-process with
 * the S3 server's endpoint and credentials (never the user's AWS environment).
 */
final class DemoObjectStorage {

  /** The bucket the demo creates. */
  static final String BUCKET = "demo";

  /** Where the backup and the WAL go. */
  static final String LOCATION = "s3://" + BUCKET + "/cluster";

  /** The slot receivewal archives from; created before the backup, so it holds the backup's WAL. */
  static final String SLOT = "demo_s3";

  private final DemoHost host;
  private final Transcript say;
  private final Path dir;
  private final Path passFile;
  private final List<String> connection;
  private volatile @Nullable S3Proxy server;

  /**
   * @param dir the demo directory (the S3 backend and receivewal's spool go under it)
   * @param passFile the password file of the replication role
   * @param connection our commands' connection options for the primary
   */
  DemoObjectStorage(
      DemoHost host, Transcript say, Path dir, Path passFile, List<String> connection) {
    this.host = host;
    this.say = say;
    this.dir = dir;
    this.passFile = passFile;
    this.connection = List.copyOf(connection);
  }

  /** Runs the step; the S3 server is stopped at its end (and by {@link #stop} on clean-up). */
  void run(DemoServer primary) {
    try {
      S3Proxy s3 = startServer();
      Map<String, String> aws = S3Proxy.environment(s3.endpoint());
      Map<String, String> withPassword = new HashMap<>(aws);
      withPassword.put("PGPASSFILE", passFile.toString());

      ours(
          "Creating the slot "
              + SLOT
              + " that receivewal archives from (before the backup, so it"
              + " keeps the backup's WAL)",
          withPassword,
          withConnection("slot", "create", SLOT));
      ours(
          "Taking a base backup into "
              + LOCATION
              + " (tar files and backup_manifest, no local copy)",
          withPassword,
          withConnection("basebackup", "-t", LOCATION, "-X", "stream", "-c", "fast", "-v"));

      String switchWal = "SELECT pg_switch_wal()";
      say.step("Finishing the current WAL segment on the primary");
      say.command("psql " + primary.connect("postgres") + " -c \"" + switchWal + "\"");
      Lsn segmentEnd = DemoArchiver.switchSegment(primary, switchWal);

      Path spool = dir.resolve("wal-spool");
      try {
        Files.createDirectories(spool);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create " + spool, e);
      }
      ours(
          "Archiving WAL into " + LOCATION + "/wal/ up to " + segmentEnd + " (the slot's WAL)",
          withPassword,
          withConnection(
              "receivewal",
              "-D",
              spool.toString(),
              "-S",
              SLOT,
              "--target",
              LOCATION,
              "-E",
              segmentEnd.toString(),
              "-v"));
      listObjects(s3);
      ours(
          "Checking that the backup can be restored and rolled forward with the archived WAL",
          aws,
          List.of("archive", "verify", "--archive", LOCATION));
      ours("Dropping the slot " + SLOT, withPassword, withConnection("slot", "drop", SLOT));
    } finally {
      stop();
    }
  }

  /** Stops the S3 server if it runs (end of the step, clean-up, Ctrl-C). */
  void stop() {
    S3Proxy s3 = server;
    if (s3 != null) {
      server = null;
      say.step("Stopping the S3 API server");
      s3.stop();
    }
  }

  private S3Proxy startServer() {
    Path root = dir.resolve("s3");
    say.step(
        "Starting an S3 API server: S3Proxy "
            + S3Proxy.VERSION
            + " with its filesystem backend under "
            + root.resolve("data"));
    S3Proxy s3 = S3Proxy.start(root);
    server = s3;
    say.command(
        "java -jar "
            + S3Proxy.findJar()
            + " --properties "
            + root.resolve("s3proxy.conf")
            + " &   # listening on "
            + s3.endpoint());
    say.say("our commands below get its endpoint and (demo) credentials from the environment:");
    say.command(
        "export "
            + String.join(
                " ",
                S3Proxy.environment(s3.endpoint()).entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .toList()));
    try {
      Files.createDirectories(s3.dataDirectory().resolve(BUCKET));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the bucket " + BUCKET, e);
    }
    say.say("the bucket \"" + BUCKET + "\" (a directory of the backend), as with:");
    say.command("aws s3 mb s3://" + BUCKET);
    return s3;
  }

  private List<String> withConnection(String... args) {
    List<String> line = new ArrayList<>(List.of(args));
    line.addAll(connection);
    return line;
  }

  /** One of our commands, printed and run in-process exactly as printed. */
  private void ours(String what, Map<String, String> env, List<String> line) {
    say.step(what);
    say.command(host.program() + " " + String.join(" ", line));
    host.out().flush();
    int code = host.run(line, env);
    if (code != 0) {
      throw new Demo.Failure(host.program() + " " + line.get(0) + " failed (exit " + code + ")");
    }
  }

  /** Prints the objects under the location, as the backend stores them. */
  private void listObjects(S3Proxy s3) {
    Path bucket = s3.dataDirectory().resolve(BUCKET);
    say.command("aws s3 ls --recursive " + LOCATION + "/");
    try (Stream<Path> files = Files.walk(bucket)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        say.say(
            String.format(
                Locale.ROOT,
                "%-60s %,12d bytes",
                BUCKET + "/" + bucket.relativize(f),
                Files.size(f)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + bucket, e);
    }
  }
}
