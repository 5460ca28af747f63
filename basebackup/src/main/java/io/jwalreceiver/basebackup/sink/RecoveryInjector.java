// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.sink;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarListener;
import io.jwalreceiver.basebackup.tar.TarWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Re-emits the members of {@code base.tar} into a {@link TarWriter}, with {@code -R}'s changes when
 * {@code recoveryConf} is set: the server's {@code standby.signal} dropped, the recovery settings
 * appended to {@code postgresql.auto.conf} (or a new one), an empty {@code standby.signal} added at
 * the end. Does not end the archive: the caller may add members (the manifest, for {@code -D -})
 * before {@link TarWriter#finish()}.
 */
final class RecoveryInjector implements TarListener {

  private final TarWriter writer;
  private final @Nullable String recoveryConf;
  private boolean skip;
  private boolean sawAutoConf;

  /** Inside the server's postgresql.auto.conf: our lines follow its bytes. */
  private boolean inAutoConf;

  private boolean deferTrailer;
  private boolean trailerWritten;

  /**
   * @param writer where the members go
   * @param recoveryConf the {@code -R} lines, or null to copy the members unchanged
   */
  /**
   * The error for {@code -R} with an archive the sink cannot parse (server-side compression it
   * cannot undo, or not a tar archive), as pg_basebackup reports it.
   */
  static PgException cannotParse(String archiveName) {
    return new PgException(
        SqlState.PROTOCOL_VIOLATION,
        "cannot parse archive \"" + archiveName + "\"",
        "Only tar archives can be parsed. The -R option requires parsing the archive.",
        null,
        null);
  }

  RecoveryInjector(TarWriter writer, @Nullable String recoveryConf) {
    this.writer = writer;
    this.recoveryConf = recoveryConf;
  }

  @Override
  public void entryStart(TarHeader h) {
    skip = false;
    inAutoConf = false;
    String name = h.name().startsWith("./") ? h.name().substring(2) : h.name();
    if (recoveryConf != null && name.equals("standby.signal")) {
      skip = true;
    } else if (recoveryConf != null && name.equals("postgresql.auto.conf")) {
      // Streamed through with a size that counts our lines too, never held in memory (the
      // server decides how big the member is).
      inAutoConf = true;
      sawAutoConf = true;
      writer.startEntry(
          TarHeader.regularFile(
              h.name(), h.size() + conf().length, h.mode(), h.uid(), h.gid(), h.mtime()));
    } else {
      writer.startEntry(h);
    }
  }

  @Override
  public void entryData(ByteBuffer data) {
    if (skip) {
      return;
    }
    writer.writeData(data);
  }

  @Override
  public void entryEnd(TarHeader h) {
    if (skip) {
      skip = false;
      return;
    }
    if (inAutoConf) {
      writer.writeData(ByteBuffer.wrap(conf()));
      inAutoConf = false;
    }
    writer.endEntry();
  }

  private byte[] conf() {
    return Objects.requireNonNull(recoveryConf, "writing the recovery configuration")
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Leaves the added members out at the end of the parsed archive, for the caller to add with
   * {@link #writeTrailer()} after members of its own ({@code -D -}: pg_basebackup puts {@code
   * backup_manifest} before them).
   */
  RecoveryInjector deferTrailer() {
    this.deferTrailer = true;
    return this;
  }

  @Override
  public void end() {
    if (!deferTrailer) {
      writeTrailer();
    }
  }

  /** Adds {@code standby.signal} (and a new {@code postgresql.auto.conf} if there was none). */
  void writeTrailer() {
    if (recoveryConf == null || trailerWritten) {
      return;
    }
    trailerWritten = true;
    long now = System.currentTimeMillis() / 1000;
    if (!sawAutoConf) {
      byte[] conf = recoveryConf.getBytes(StandardCharsets.UTF_8);
      writer.writeEntry(
          TarHeader.regularFile("postgresql.auto.conf", conf.length, 0600, 0, 0, now),
          ByteBuffer.wrap(conf));
    }
    writer.writeEntry(
        TarHeader.regularFile("standby.signal", 0, 0600, 0, 0, now), ByteBuffer.allocate(0));
  }
}
