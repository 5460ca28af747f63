// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import io.jwalreceiver.PgException;
import io.jwalreceiver.archive.store.ObjectStore;
import java.io.IOException;
import java.util.Objects;
import picocli.CommandLine.Mixin;

/**
 * What the {@code archive} subcommands share: {@code --archive}, the store opened and closed around
 * the work, and their failures as one line each (a wrong location or S3 setting is a usage mistake;
 * the store's errors name the object).
 */
abstract class ArchiveSubcommand extends CliCommand {

  @Mixin ArchiveCommand.Location archive;

  /** The work, with the archive's store open; returns the exit code. */
  abstract int run(ObjectStore store) throws IOException;

  /** What was being done, for an I/O failure: {@code cannot verify LOCATION}. */
  abstract String failure();

  @Override
  public final Integer call() {
    try (ObjectStore store = archive.open(cli)) {
      return run(store);
    } catch (IllegalArgumentException e) {
      return usage(Objects.toString(e.getMessage()));
    } catch (PgException e) {
      cli.error(null, e);
      return ExitCodes.ERROR;
    } catch (IOException e) {
      return error(failure() + ": " + e.getMessage());
    }
  }
}
