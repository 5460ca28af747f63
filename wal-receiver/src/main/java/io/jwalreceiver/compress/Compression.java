// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.compress;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How segment files are compressed: an algorithm and its settings, parsed from the {@code
 * -Z/--compress} syntax of the PostgreSQL 15+ tools ({@code METHOD[:DETAIL]} or a bare integer),
 * with their validation rules and messages ({@code src/common/compression.c}).
 *
 * <pre>
 *   -Z 5                 gzip, level 5 (a bare integer is a gzip level; 0 means none)
 *   -Z gzip              gzip, zlib's default level
 *   -Z lz4:level=9       LZ4 frame, high-compression level 9 (0 = fast mode, the default)
 *   -Z zstd:3,workers=4  zstd, level 3, four worker threads (our addition to pg_receivewal)
 * </pre>
 *
 * @param algorithm the algorithm
 * @param level the level; meaningful per algorithm (gzip -1 = zlib default, lz4 0 = fast mode)
 * @param workers zstd worker threads, 0 = compress on the calling thread
 * @param longDistance zstd long-distance matching
 */
public record Compression(Algorithm algorithm, int level, int workers, boolean longDistance) {

  /** No compression: plain, pre-sized segment files. */
  public static final Compression NONE = new Compression(Algorithm.NONE, 0, 0, false);

  /** zlib's {@code Z_DEFAULT_COMPRESSION}. */
  private static final int GZIP_DEFAULT_LEVEL = -1;

  /** zstd's {@code ZSTD_CLEVEL_DEFAULT}. */
  private static final int ZSTD_DEFAULT_LEVEL = 3;

  /** A compression algorithm, with the tools' name and the file extension pg_receivewal uses. */
  public enum Algorithm {
    /** Plain files. */
    NONE("none", ""),
    /** A gzip container around a deflate stream, {@code .gz}. */
    GZIP("gzip", ".gz"),
    /** The LZ4 frame format, {@code .lz4}. */
    LZ4("lz4", ".lz4"),
    /** The Zstandard frame format, {@code .zst} (pg_receivewal does not write it). */
    ZSTD("zstd", ".zst");

    private final String toolName;
    private final String extension;

    Algorithm(String toolName, String extension) {
      this.toolName = toolName;
      this.extension = extension;
    }

    /**
     * The name used on the command line and in messages.
     *
     * @return {@code none}, {@code gzip}, {@code lz4} or {@code zstd}
     */
    public String toolName() {
      return toolName;
    }

    /**
     * The extension of completed files, with its dot.
     *
     * @return {@code ""}, {@code .gz}, {@code .lz4} or {@code .zst}
     */
    public String extension() {
      return extension;
    }
  }

  /**
   * Validates the settings as the tools do.
   *
   * @param algorithm the algorithm
   * @param level the level
   * @param workers zstd worker threads
   * @param longDistance zstd long-distance matching
   * @throws PgException 22023 with the tools' message when the level is out of range, or workers or
   *     long-distance mode are set for another algorithm than zstd
   */
  public Compression {
    Objects.requireNonNull(algorithm, "algorithm");
    checkLevel(algorithm, level);
    if (workers != 0) {
      checkWorkers(algorithm, workers);
    }
    if (longDistance) {
      checkLongDistance(algorithm);
    }
  }

  /**
   * The algorithm with its default level, as {@code -Z gzip} / {@code lz4} / {@code zstd} gives.
   *
   * @param algorithm the algorithm
   * @return the default settings
   */
  public static Compression of(Algorithm algorithm) {
    // Defaults are always valid.
    return new Compression(algorithm, defaultLevel(algorithm), 0, false);
  }

  /**
   * The algorithm at {@code level}, validated as the tools validate it.
   *
   * @param algorithm the algorithm
   * @param level the level
   * @return the settings
   * @throws PgException 22023 with the tools' message when the level is out of range
   */
  public static Compression of(Algorithm algorithm, int level) {
    return new Compression(algorithm, level, 0, false);
  }

  /**
   * Parses a {@code -Z/--compress} value the way the PostgreSQL 15+ tools do: a bare integer is a
   * gzip level (0 = none); otherwise {@code METHOD[:DETAIL]} where DETAIL is an integer level or a
   * comma-separated list of {@code level=N}, {@code workers=N} and {@code long[=BOOL]}.
   *
   * @param option the option value
   * @return the settings
   * @throws PgException 22023 with the tools' messages: {@code unrecognized compression algorithm:
   *     "%s"} or {@code invalid compression specification: <detail>}
   */
  public static Compression parse(String option) {
    Objects.requireNonNull(option, "option");
    String algorithmName;
    @Nullable String detail;
    Strtol bare = Strtol.parse(option);
    if (bare.end() == option.length()) {
      // Backward compatibility with 13/14's -Z 0..9; like strtol, "" parses as 0.
      algorithmName = bare.value() == 0 ? "none" : "gzip";
      detail = bare.value() == 0 ? null : option;
    } else {
      int colon = option.indexOf(':');
      algorithmName = colon < 0 ? option : option.substring(0, colon);
      detail = colon < 0 ? null : option.substring(colon + 1);
    }
    @Nullable Algorithm algorithm = null;
    for (Algorithm a : Algorithm.values()) {
      if (a.toolName.equals(algorithmName)) {
        algorithm = a;
      }
    }
    if (algorithm == null) {
      throw invalid("unrecognized compression algorithm: \"" + algorithmName + "\"");
    }
    return parseDetail(algorithm, detail);
  }

  /**
   * A {@code -Z} value split into its algorithm name and detail, unvalidated: what pg_basebackup
   * 15+ passes through to the server for {@code server-} compression ({@code
   * parse_compress_options}).
   *
   * @param algorithm the algorithm name as written ({@code gzip}, {@code extrasquishy}, …)
   * @param detail the text after the first colon, the whole option for a bare integer, or null
   */
  public record Spec(String algorithm, @Nullable String detail) {}

  /**
   * Splits a {@code -Z/--compress} value as PostgreSQL's {@code parse_compress_options} does,
   * without validating either part: a bare integer is {@code gzip} (or {@code none} for 0) with the
   * integer as the detail; otherwise {@code METHOD[:DETAIL]}.
   *
   * @param option the option value (without any {@code client-}/{@code server-} prefix)
   * @return the algorithm name and detail
   */
  public static Spec split(String option) {
    Objects.requireNonNull(option, "option");
    Strtol bare = Strtol.parse(option);
    if (bare.end() == option.length()) {
      return new Spec(bare.value() == 0 ? "none" : "gzip", option);
    }
    int colon = option.indexOf(':');
    return colon < 0
        ? new Spec(option, null)
        : new Spec(option.substring(0, colon), option.substring(colon + 1));
  }

  /** {@code parse_compress_specification} followed by {@code validate_compress_specification}. */
  private static Compression parseDetail(Algorithm algorithm, @Nullable String detail) {
    int level = defaultLevel(algorithm);
    int workers = 0;
    boolean workersGiven = false;
    boolean longDistance = false;
    boolean longGiven = false;
    if (detail != null) {
      Strtol bare = Strtol.parse(detail);
      if (bare.end() > 0 && bare.end() == detail.length()) {
        return new Compression(algorithm, bare.value(), 0, false);
      }
      int start = 0;
      while (true) {
        int keywordEnd = start;
        while (keywordEnd < detail.length()
            && detail.charAt(keywordEnd) != ','
            && detail.charAt(keywordEnd) != '=') {
          keywordEnd++;
        }
        String keyword = detail.substring(start, keywordEnd);
        @Nullable String value = null;
        int end = keywordEnd;
        if (keywordEnd < detail.length() && detail.charAt(keywordEnd) == '=') {
          end = detail.indexOf(',', keywordEnd + 1);
          end = end < 0 ? detail.length() : end;
          value = detail.substring(keywordEnd + 1, end);
        }
        if (keyword.isEmpty()) {
          throw invalidSpec("found empty string where a compression option was expected");
        }
        switch (keyword) {
          case "level" -> level = integerValue(keyword, value);
          case "workers" -> {
            workers = integerValue(keyword, value);
            workersGiven = true;
          }
          case "long" -> {
            longDistance = booleanValue(keyword, value);
            longGiven = true;
          }
          default -> throw invalidSpec("unrecognized compression option: \"" + keyword + "\"");
        }
        if (end >= detail.length()) {
          break;
        }
        start = end + 1;
      }
    }
    // validate_compress_specification's order: level, workers, long-distance mode. An option
    // that was given counts even when its value is the default ("gzip:workers=0" is an error).
    checkLevel(algorithm, level);
    if (workersGiven) {
      checkWorkers(algorithm, workers);
    }
    if (longGiven) {
      checkLongDistance(algorithm);
    }
    return new Compression(algorithm, level, workers, longDistance);
  }

  /** The level must be in the algorithm's range, or be its default. */
  private static void checkLevel(Algorithm algorithm, int level) {
    int min = 1;
    int max;
    switch (algorithm) {
      case NONE -> {
        if (level != 0) {
          throw invalidSpec("compression algorithm \"none\" does not accept a compression level");
        }
        max = 1;
      }
      case GZIP -> max = 9;
      case LZ4 -> max = 12;
      case ZSTD -> {
        min = ZstdLevels.MIN;
        max = ZstdLevels.MAX;
      }
      default -> throw new IllegalStateException(algorithm.name());
    }
    int defaultLevel = defaultLevel(algorithm);
    if ((level < min || level > max) && level != defaultLevel) {
      throw invalidSpec(
          String.format(
              Locale.ROOT,
              "compression algorithm \"%s\" expects a compression level between %d and %d"
                  + " (default at %d)",
              algorithm.toolName,
              min,
              max,
              defaultLevel));
    }
  }

  private static void checkWorkers(Algorithm algorithm, int workers) {
    if (algorithm != Algorithm.ZSTD) {
      throw invalidSpec(
          "compression algorithm \"" + algorithm.toolName + "\" does not accept a worker count");
    }
    if (workers < 0) {
      // zstd itself would reject it when the first segment starts; say so up front.
      throw invalidSpec("value for compression option \"workers\" must not be negative");
    }
  }

  private static void checkLongDistance(Algorithm algorithm) {
    if (algorithm != Algorithm.ZSTD) {
      throw invalidSpec(
          "compression algorithm \""
              + algorithm.toolName
              + "\" does not support long-distance mode");
    }
  }

  private static int defaultLevel(Algorithm algorithm) {
    return switch (algorithm) {
      case GZIP -> GZIP_DEFAULT_LEVEL;
      case ZSTD -> ZSTD_DEFAULT_LEVEL;
      default -> 0;
    };
  }

  private static int integerValue(String keyword, @Nullable String value) {
    if (value == null) {
      throw invalidSpec("compression option \"" + keyword + "\" requires a value");
    }
    Strtol parsed = Strtol.parse(value);
    if (parsed.end() == 0 || parsed.end() != value.length()) {
      throw invalidSpec("value for compression option \"" + keyword + "\" must be an integer");
    }
    return parsed.value();
  }

  private static boolean booleanValue(String keyword, @Nullable String value) {
    if (value == null) {
      return true;
    }
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "yes", "on", "1" -> true;
      case "no", "off", "0" -> false;
      default ->
          throw invalidSpec(
              "value for compression option \"" + keyword + "\" must be a Boolean value");
    };
  }

  private static PgException invalidSpec(String detail) {
    return invalid("invalid compression specification: " + detail);
  }

  private static PgException invalid(String message) {
    return new PgException(SqlState.INVALID_PARAMETER_VALUE, message);
  }

  /**
   * Whether segment files are compressed.
   *
   * @return false for {@link Algorithm#NONE}
   */
  public boolean compressed() {
    return algorithm != Algorithm.NONE;
  }

  /**
   * The extension of completed files ({@code .gz}, {@code .lz4}, {@code .zst}, or none), which
   * comes before {@code .partial} while a segment is written.
   *
   * @return the extension with its dot, or {@code ""}
   */
  public String extension() {
    return algorithm.extension;
  }

  /** The tools' spelling, e.g. {@code gzip:level=1} or {@code zstd:level=3,workers=2}. */
  @Override
  public String toString() {
    if (!compressed()) {
      return "none";
    }
    return algorithm.toolName
        + ":level="
        + level
        + (workers > 0 ? ",workers=" + workers : "")
        + (longDistance ? ",long" : "");
  }

  /**
   * zstd's level range ({@code ZSTD_minCLevel()}, {@code ZSTD_maxCLevel()}), fixed by the library's
   * format: negative levels are the "fast" strategies.
   */
  private static final class ZstdLevels {
    static final int MIN = -(1 << 17);
    static final int MAX = 22;

    private ZstdLevels() {}
  }

  /**
   * C's {@code strtol(s, &end, 10)} as the tools use it: leading white space, an optional sign,
   * decimal digits; {@code end} is 0 when no digits were found. Overflow saturates, then the value
   * is narrowed to {@code int} as the tools' {@code int} variables narrow it.
   */
  private record Strtol(int value, int end) {
    static Strtol parse(String s) {
      int i = 0;
      while (i < s.length() && isCSpace(s.charAt(i))) {
        i++;
      }
      boolean negative = false;
      if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        negative = s.charAt(i) == '-';
        i++;
      }
      int digitsStart = i;
      long value = 0;
      boolean overflow = false;
      while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        int digit = s.charAt(i) - '0';
        if (value > (Long.MAX_VALUE - digit) / 10) {
          overflow = true;
        } else {
          value = value * 10 + digit;
        }
        i++;
      }
      if (i == digitsStart) {
        return new Strtol(0, 0);
      }
      long result;
      if (overflow) {
        result = negative ? Long.MIN_VALUE : Long.MAX_VALUE;
      } else {
        result = negative ? -value : value;
      }
      return new Strtol((int) result, i);
    }

    private static boolean isCSpace(char c) {
      return c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r';
    }
  }
}
