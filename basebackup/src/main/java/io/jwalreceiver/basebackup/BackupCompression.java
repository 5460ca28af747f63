// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup;

import io.jwalreceiver.compress.Compression;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Where and how a base backup is compressed: pg_basebackup 15+'s {@code -z} and {@code
 * -Z/--compress=[{client|server}-]METHOD[:DETAIL]}.
 *
 * <p>Client-side settings are parsed and validated here, with PostgreSQL's messages ({@link
 * Compression#parse}). Server-side settings are passed through unvalidated, as pg_basebackup does:
 * the server parses them and reports errors ({@code COMPRESSION 'gzip'}, {@code COMPRESSION_DETAIL
 * 'level=5'}).
 *
 * <pre>
 *   -Z 5                 client gzip level 5        -Z server-gzip:5   server gzip level 5
 *   -z, -Z gzip          client gzip default level  -Z server-zstd     server zstd
 *   -Z client-lz4:1      client LZ4 level 1         -Z 0, -Z none      no compression
 * </pre>
 *
 * @param location where compression happens ({@link Location#CLIENT} when not compressing)
 * @param client the client-side settings; {@link Compression#NONE} for server-side compression
 * @param serverAlgorithm the algorithm name sent as {@code COMPRESSION}, or null
 * @param serverDetail the text sent as {@code COMPRESSION_DETAIL}, or null
 * @param gzipWorkers threads for client-side gzip and LZ4, and zstd's workers when {@code -Z} gives
 *     no {@code workers=} (0 = compress on the receiving thread)
 * @param clientWorkersGiven whether the client-side settings name {@code workers=} (then zstd uses
 *     exactly that, {@code workers=0} included, whatever {@code gzipWorkers} says)
 */
public record BackupCompression(
    Location location,
    Compression client,
    @Nullable String serverAlgorithm,
    @Nullable String serverDetail,
    int gzipWorkers,
    boolean clientWorkersGiven) {

  /** No compression. */
  public static final BackupCompression NONE =
      new BackupCompression(Location.CLIENT, Compression.NONE, null, null, defaultWorkers(), false);

  /** Where the archives are compressed. */
  public enum Location {
    /** By us, as the archives are written (tar format only). */
    CLIENT,
    /** By the server; plain format decompresses them before extracting. */
    SERVER
  }

  /**
   * Checks the combination.
   *
   * @throws IllegalArgumentException when server-side compression has no algorithm or the
   *     client-side settings are not {@link Compression#NONE} with it
   */
  public BackupCompression {
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(client, "client");
    if (location == Location.SERVER && (serverAlgorithm == null || client.compressed())) {
      throw new IllegalArgumentException("server-side compression needs only a server algorithm");
    }
    if (gzipWorkers < 0) {
      throw new IllegalArgumentException("gzipWorkers < 0");
    }
  }

  /**
   * Parses a {@code -Z/--compress} value as pg_basebackup 15+ does: a {@code client-} or {@code
   * server-} prefix picks the location (default client: there is no {@code --target}); the rest is
   * {@code METHOD[:DETAIL]} or a bare integer (a gzip level, 0 = none). Only client-side settings
   * are validated.
   *
   * @param option the option value
   * @return the settings, with the default number of gzip workers
   * @throws io.jwalreceiver.PgException 22023 with PostgreSQL's messages for invalid client-side
   *     settings: {@code unrecognized compression algorithm: "%s"} or {@code invalid compression
   *     specification: <detail>}
   */
  public static BackupCompression parse(String option) {
    return parse(option, Location.CLIENT);
  }

  /**
   * Parses a {@code -Z/--compress} value whose location, when not given by a prefix, is {@code
   * defaultLocation} (pg_basebackup: the server when a {@code --target} is given).
   *
   * @param option the option value
   * @param defaultLocation where to compress without a {@code client-}/{@code server-} prefix
   * @return the settings
   */
  public static BackupCompression parse(String option, Location defaultLocation) {
    Objects.requireNonNull(option, "option");
    boolean prefixed = option.startsWith("server-") || option.startsWith("client-");
    if (option.startsWith("server-") || (!prefixed && defaultLocation == Location.SERVER)) {
      String rest = prefixed ? option.substring("server-".length()) : option;
      Compression.Spec spec = Compression.split(rest);
      return new BackupCompression(
          Location.SERVER,
          Compression.NONE,
          spec.algorithm(),
          spec.detail(),
          defaultWorkers(),
          false);
    }
    String rest = option.startsWith("client-") ? option.substring("client-".length()) : option;
    String detail = Compression.split(rest).detail();
    boolean workersGiven =
        detail != null
            && Arrays.stream(detail.split(","))
                .anyMatch(item -> item.split("=", 2)[0].trim().equals("workers"));
    return new BackupCompression(
        Location.CLIENT, Compression.parse(rest), null, null, defaultWorkers(), workersGiven);
  }

  /**
   * {@code -z/--gzip}: client-side gzip at zlib's default level.
   *
   * @return the settings
   */
  public static BackupCompression gzip() {
    return new BackupCompression(
        Location.CLIENT,
        Compression.of(Compression.Algorithm.GZIP),
        null,
        null,
        defaultWorkers(),
        false);
  }

  /**
   * The same settings with another number of client-side gzip threads.
   *
   * @param workers threads, 0 = compress on the receiving thread
   * @return the settings
   */
  public BackupCompression withGzipWorkers(int workers) {
    return new BackupCompression(
        location, client, serverAlgorithm, serverDetail, workers, clientWorkersGiven);
  }

  /**
   * Whether the server compresses ({@code COMPRESSION} is sent).
   *
   * @return true for {@code server-} settings
   */
  public boolean serverSide() {
    return location == Location.SERVER;
  }

  /**
   * Whether we compress the archives we write.
   *
   * @return true for client-side settings other than {@code none}
   */
  public boolean clientSide() {
    return location == Location.CLIENT && client.compressed();
  }

  /**
   * The threads to hand the archive encoder: {@link #gzipWorkers}, except 0 when zstd's {@code
   * workers=} was given (the encoder then uses the settings' own count, 0 meaning one thread).
   *
   * @return threads for {@code ArchiveEncoder.open}
   */
  public int encoderThreads() {
    return clientWorkersGiven && client.algorithm() == Compression.Algorithm.ZSTD ? 0 : gzipWorkers;
  }

  /** One gzip thread per processor: the receiving thread mostly waits on the socket. */
  private static int defaultWorkers() {
    return Runtime.getRuntime().availableProcessors();
  }
}
