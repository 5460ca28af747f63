// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.Stores;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jwalreceiver archive}: the parent of the archive verify and cleanup commands. */
@Command(
    name = "archive",
    header = "Verifies and trims an archive of WAL and base backups (S3 or a directory).",
    versionProvider = RootCommand.Version.class,
    usageHelpWidth = 95,
    description = {
      "Verifies and trims an archive of WAL and base backups: s3://bucket/prefix (credentials,",
      "region and endpoint from the AWS environment and profile files, or ?endpoint=…&region=…",
      "&path-style=… on the location) or a local directory with wal/ and basebackups/.",
      ""
    },
    subcommands = {ArchiveVerifyCommand.class, ArchiveCleanupCommand.class})
public final class ArchiveCommand implements Runnable {

  @Mixin HelpOptions helpOptions;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code --archive LOCATION}: a picocli mixin of the archive subcommands. */
  public static final class Location {

    @Option(
        names = "--archive",
        required = true,
        paramLabel = "LOCATION",
        description =
            "the archive: s3://bucket/prefix[?endpoint=URL&region=R&path-style=B] or a"
                + " directory")
    String text = "";

    /**
     * Opens the archive's store.
     *
     * @throws IllegalArgumentException with a one-line message when the location or the S3 settings
     *     are wrong
     */
    ObjectStore open(Cli cli) {
      return Stores.open(location(), cli.env());
    }

    /** The parsed location. */
    StoreLocation location() {
      return StoreLocation.parse(text);
    }

    /** Its layout: a local directory without wal/ and basebackups/ is a flat WAL directory. */
    ArchiveLayout layout() {
      return ArchiveLayout.of(location());
    }
  }

  /** A size for people: {@code 512 bytes}, {@code 16.0 MiB}. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " bytes";
    }
    String[] units = {"kiB", "MiB", "GiB", "TiB", "PiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
