// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.async.ByteBufferFeeder;
import com.fasterxml.jackson.core.io.JsonEOFException;
import io.jwalreceiver.PgException;
import io.jwalreceiver.basebackup.manifest.BackupManifest.FileEntry;
import io.jwalreceiver.basebackup.manifest.BackupManifest.WalRange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Reads a {@code backup_manifest} with jackson-core's streaming parser and checks it the way
 * pg_verifybackup's {@code parse_manifest.c} does, with the same messages.
 *
 * <p>The parser is the same state machine as PostgreSQL's: the version must be the first key (1 or
 * 2), every key at every level must be one the format defines ({@code unrecognized top-level
 * field}, {@code unexpected file field}, {@code unexpected WAL range field}), objects and arrays
 * may appear only where the format puts them, and paths must be unique ({@code duplicate path name
 * in backup manifest: "p"}). Only then is {@code Manifest-Checksum} checked: SHA-256 over every
 * byte up to and including the second-to-last newline ({@code manifest checksum mismatch}).
 *
 * <p>Like PostgreSQL, scalar values are taken by their text, so {@code "Size": "3"} and {@code
 * "Size": 3} are the same. One deliberate difference: a JSON {@code null} as the {@code
 * Manifest-Checksum} counts as no checksum ({@code manifest has no checksum}); PostgreSQL would
 * report the text {@code null} as an invalid checksum. A version 2 manifest must carry {@code
 * System-Identifier} ({@code expected system identifier}); a version 1 manifest must not ({@code
 * unrecognized top-level field}, which is what PostgreSQL 13–16 say about it).
 *
 * <p>Every failure is a {@link PgException} with SQLSTATE XX001 (data corrupted), or 58030 when the
 * file cannot be read.
 */
public final class ManifestParser {

  /** The first key of every manifest. */
  public static final String VERSION_KEY = "PostgreSQL-Backup-Manifest-Version";

  /**
   * No string in a manifest is longer than an {@code Encoded-Path} (two hex digits per byte of a
   * path of at most 1024 bytes) or a SHA-512 checksum: 64 KiB is plenty, and keeps one endless
   * string from growing the parser's buffer (jackson's own default is 20 million characters).
   */
  static final int MAX_STRING = 64 * 1024;

  private static final JsonFactory JSON =
      JsonFactory.builder()
          .streamReadConstraints(
              StreamReadConstraints.builder()
                  .maxStringLength(MAX_STRING)
                  .maxNameLength(MAX_STRING)
                  .maxNumberLength(100)
                  .maxNestingDepth(16)
                  .build())
          .build();

  private static final int READ_BLOCK = 64 * 1024;

  private enum State {
    TOPLEVEL_START,
    TOPLEVEL_END,
    TOPLEVEL_FIELD,
    VERSION_VALUE,
    SYSTEM_IDENTIFIER_VALUE,
    FILES_START,
    FILES_NEXT,
    THIS_FILE_FIELD,
    THIS_FILE_VALUE,
    WAL_RANGES_START,
    WAL_RANGES_NEXT,
    THIS_WAL_RANGE_FIELD,
    THIS_WAL_RANGE_VALUE,
    MANIFEST_CHECKSUM_VALUE,
    EOF
  }

  private enum FileField {
    PATH,
    ENCODED_PATH,
    SIZE,
    LAST_MODIFIED,
    CHECKSUM_ALGORITHM,
    CHECKSUM
  }

  private enum WalRangeField {
    TIMELINE,
    START_LSN,
    END_LSN
  }

  private State state = State.TOPLEVEL_START;
  private int version;
  private @Nullable String systemIdentifier;
  private @Nullable String manifestChecksum;

  /** The field whose value comes next, and the values of the file entry read so far. */
  private @Nullable FileField fileField;

  private final EnumMap<FileField, String> fileValues = new EnumMap<>(FileField.class);

  /** Likewise for the WAL range being read. */
  private @Nullable WalRangeField walRangeField;

  private final EnumMap<WalRangeField, String> walRangeValues = new EnumMap<>(WalRangeField.class);

  /** The entries, when they are kept ({@link #read}, {@link #parse}); else null. */
  private final @Nullable List<FileEntry> files;

  /** Every path so far, for the duplicate check. */
  private final java.util.Set<String> paths = new java.util.HashSet<>();

  private final List<WalRange> walRanges = new ArrayList<>();
  private final Consumer<FileEntry> onFile;
  private final long limit;

  private final JsonParser json;
  private final ByteBufferFeeder feeder;
  private long received;
  private boolean finished;

  private final ManifestLineDigest lines = new ManifestLineDigest();
  private final TrailingCommaGuard commaGuard = new TrailingCommaGuard();

  private ManifestParser(boolean keep, Consumer<FileEntry> onFile, long limit) {
    this.files = keep ? new ArrayList<>() : null;
    this.onFile = onFile;
    this.limit = limit;
    try {
      this.json = JSON.createNonBlockingByteBufferParser();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    this.feeder = (ByteBufferFeeder) json.getNonBlockingInputFeeder();
  }

  /**
   * Reads and parses a manifest file, a block at a time.
   *
   * @param file the {@code backup_manifest}
   * @return the parsed, checked manifest
   * @throws PgException 58030 {@code could not open file "f": …} or 58030 {@code could not read
   *     file "f": …} when the file cannot be read; XX001 with pg_verifybackup's message when the
   *     content is not a valid manifest
   */
  public static BackupManifest read(Path file) {
    ManifestParser p = new ManifestParser(true, f -> {}, Long.MAX_VALUE);
    FileChannel ch;
    try {
      ch = FileChannel.open(file, StandardOpenOption.READ);
    } catch (IOException e) {
      throw ManifestErrors.io("could not open file \"" + file + "\"", e);
    }
    try (ch) {
      ByteBuffer block = ByteBuffer.allocate(READ_BLOCK);
      while (ch.read(block.clear()) >= 0) {
        p.feed(block.flip());
      }
    } catch (IOException e) {
      throw ManifestErrors.io("could not read file \"" + file + "\"", e);
    }
    return p.finish();
  }

  /**
   * Parses a manifest held in memory.
   *
   * @param manifest the complete file content
   * @return the parsed, checked manifest
   * @throws PgException XX001 with pg_verifybackup's message when the content is not a valid
   *     manifest
   */
  public static BackupManifest parse(byte[] manifest) {
    ManifestParser p = new ManifestParser(true, f -> {}, Long.MAX_VALUE);
    p.feed(ByteBuffer.wrap(manifest));
    return p.finish();
  }

  /**
   * A parser fed the manifest as it arrives, in memory independent of the manifest's size: each
   * file entry goes to {@code onFile} as soon as it is complete (and is not kept); only the paths
   * are, for the duplicate check. The same checks and messages as {@link #parse}; a failure is
   * thrown by the {@link #feed} that reveals it, or by {@link #finish}.
   *
   * @param onFile called with every file entry, in manifest order
   * @param limit the most bytes accepted; more fail with {@code could not parse backup manifest:
   *     manifest is larger than N bytes}
   */
  public static ManifestParser streaming(Consumer<FileEntry> onFile, long limit) {
    return new ManifestParser(false, onFile, limit);
  }

  /**
   * The next bytes of the manifest; {@code data} is consumed.
   *
   * @throws PgException XX001 as soon as the bytes so far cannot begin a valid manifest, or the
   *     limit is passed
   */
  public void feed(ByteBuffer data) {
    if (finished) {
      throw new IllegalStateException("manifest parser finished");
    }
    received += data.remaining();
    if (received > limit) {
      throw tooLarge(limit);
    }
    if (!data.hasRemaining()) {
      return;
    }
    lines.update(data.duplicate());
    int trailingComma = commaGuard.scan(data);
    try {
      if (trailingComma >= 0) {
        // Up to the brace first: an earlier error is reported as Jackson would report it.
        feeder.feedInput(data.duplicate().limit(trailingComma));
        drain();
        if (json.getParsingContext().inObject()) {
          throw ManifestErrors.parseFailure(TrailingCommaGuard.MESSAGE);
        }
        // In an array Jackson refuses the brace itself.
        feeder.feedInput(data.duplicate().position(trailingComma));
      } else {
        feeder.feedInput(data);
      }
      drain();
    } catch (IOException e) {
      throw jsonFailure(e);
    }
    data.position(data.limit());
  }

  /**
   * The manifest is complete: finishes the parse, then checks {@code Manifest-Checksum}.
   *
   * @return the manifest (with no file entries when made by {@link #streaming})
   */
  public BackupManifest finish() {
    finished = true;
    try (json) {
      feeder.endOfInput();
      drain();
    } catch (IOException e) {
      throw jsonFailure(e);
    }
    if (state != State.EOF) {
      throw ManifestErrors.parseFailure("manifest ended unexpectedly");
    }
    if (version != 1 && systemIdentifier == null) {
      throw ManifestErrors.parseFailure("expected system identifier");
    }
    String checksum = lines.verify(manifestChecksum);
    OptionalLong sysid =
        systemIdentifier == null
            ? OptionalLong.empty()
            : OptionalLong.of(Long.parseUnsignedLong(systemIdentifier));
    return new BackupManifest(
        version, sysid, files == null ? List.of() : files, walRanges, checksum);
  }

  /**
   * {@code could not parse backup manifest: manifest is larger than N bytes} (XX001): a manifest
   * past any size a real backup's could have.
   */
  public static PgException tooLarge(long limit) {
    return ManifestErrors.parseFailure("manifest is larger than " + limit + " bytes");
  }

  /** Bytes received so far. */
  public long size() {
    return received;
  }

  /** Runs the state machine over every token the input so far completes. */
  private void drain() throws IOException {
    JsonToken token;
    while ((token = json.nextToken()) != null && token != JsonToken.NOT_AVAILABLE) {
      switch (token) {
        case START_OBJECT -> objectStart();
        case END_OBJECT -> objectEnd();
        case START_ARRAY -> arrayStart();
        case END_ARRAY -> arrayEnd();
        case FIELD_NAME -> fieldStart(json.currentName());
        case VALUE_NULL -> scalar(null);
        default -> scalar(json.getText());
      }
    }
  }

  private static PgException jsonFailure(IOException e) {
    if (e instanceof JsonEOFException) {
      return ManifestErrors.parseFailure("The input string ended unexpectedly.");
    }
    if (e instanceof JsonProcessingException j) {
      return ManifestErrors.parseFailure(j.getOriginalMessage());
    }
    return ManifestErrors.parseFailure(String.valueOf(e.getMessage()));
  }

  private void objectStart() {
    switch (state) {
      case TOPLEVEL_START -> state = State.TOPLEVEL_FIELD;
      case FILES_NEXT -> {
        state = State.THIS_FILE_FIELD;
        fileValues.clear();
      }
      case WAL_RANGES_NEXT -> {
        state = State.THIS_WAL_RANGE_FIELD;
        walRangeValues.clear();
      }
      default -> throw ManifestErrors.parseFailure("unexpected object start");
    }
  }

  private void objectEnd() {
    switch (state) {
      case TOPLEVEL_END -> state = State.EOF;
      case THIS_FILE_FIELD -> {
        finishFile();
        state = State.FILES_NEXT;
      }
      case THIS_WAL_RANGE_FIELD -> {
        finishWalRange();
        state = State.WAL_RANGES_NEXT;
      }
      default -> throw ManifestErrors.parseFailure("unexpected object end");
    }
  }

  private void arrayStart() {
    switch (state) {
      case FILES_START -> state = State.FILES_NEXT;
      case WAL_RANGES_START -> state = State.WAL_RANGES_NEXT;
      default -> throw ManifestErrors.parseFailure("unexpected array start");
    }
  }

  private void arrayEnd() {
    switch (state) {
      case FILES_NEXT, WAL_RANGES_NEXT -> state = State.TOPLEVEL_FIELD;
      default -> throw ManifestErrors.parseFailure("unexpected array end");
    }
  }

  private void fieldStart(String name) {
    switch (state) {
      case TOPLEVEL_FIELD -> {
        if (version == 0) {
          if (!VERSION_KEY.equals(name)) {
            throw ManifestErrors.parseFailure("expected version indicator");
          }
          state = State.VERSION_VALUE;
        } else if ("System-Identifier".equals(name) && version != 1) {
          state = State.SYSTEM_IDENTIFIER_VALUE;
        } else if ("Files".equals(name)) {
          state = State.FILES_START;
        } else if ("WAL-Ranges".equals(name)) {
          state = State.WAL_RANGES_START;
        } else if ("Manifest-Checksum".equals(name)) {
          state = State.MANIFEST_CHECKSUM_VALUE;
        } else {
          throw ManifestErrors.parseFailure("unrecognized top-level field");
        }
      }
      case THIS_FILE_FIELD -> {
        fileField =
            switch (name) {
              case "Path" -> FileField.PATH;
              case "Encoded-Path" -> FileField.ENCODED_PATH;
              case "Size" -> FileField.SIZE;
              case "Last-Modified" -> FileField.LAST_MODIFIED;
              case "Checksum-Algorithm" -> FileField.CHECKSUM_ALGORITHM;
              case "Checksum" -> FileField.CHECKSUM;
              default -> throw ManifestErrors.parseFailure("unexpected file field");
            };
        state = State.THIS_FILE_VALUE;
      }
      case THIS_WAL_RANGE_FIELD -> {
        walRangeField =
            switch (name) {
              case "Timeline" -> WalRangeField.TIMELINE;
              case "Start-LSN" -> WalRangeField.START_LSN;
              case "End-LSN" -> WalRangeField.END_LSN;
              default -> throw ManifestErrors.parseFailure("unexpected WAL range field");
            };
        state = State.THIS_WAL_RANGE_VALUE;
      }
      default -> throw ManifestErrors.parseFailure("unexpected object field");
    }
  }

  /** A scalar value; {@code text} is null for JSON null. */
  private void scalar(@Nullable String text) {
    String value = text == null ? "null" : text;
    switch (state) {
      case VERSION_VALUE -> {
        if (value.equals("1")) {
          version = 1;
        } else if (value.equals("2")) {
          version = 2;
        } else {
          throw ManifestErrors.parseFailure("unexpected manifest version");
        }
        state = State.TOPLEVEL_FIELD;
      }
      case SYSTEM_IDENTIFIER_VALUE -> {
        if (!ManifestValues.isUnsigned64(value)) {
          throw ManifestErrors.parseFailure("manifest system identifier not an integer");
        }
        systemIdentifier = value;
        state = State.TOPLEVEL_FIELD;
      }
      case THIS_FILE_VALUE -> {
        fileValues.put(Objects.requireNonNull(fileField), value);
        state = State.THIS_FILE_FIELD;
      }
      case THIS_WAL_RANGE_VALUE -> {
        walRangeValues.put(Objects.requireNonNull(walRangeField), value);
        state = State.THIS_WAL_RANGE_FIELD;
      }
      case MANIFEST_CHECKSUM_VALUE -> {
        manifestChecksum = text;
        state = State.TOPLEVEL_END;
      }
      default -> throw ManifestErrors.parseFailure("unexpected scalar");
    }
  }

  private void finishFile() {
    FileEntry entry =
        ManifestValues.file(
            fileValues.get(FileField.PATH),
            fileValues.get(FileField.ENCODED_PATH),
            fileValues.get(FileField.SIZE),
            fileValues.get(FileField.LAST_MODIFIED),
            fileValues.get(FileField.CHECKSUM_ALGORITHM),
            fileValues.get(FileField.CHECKSUM));
    if (!paths.add(entry.path())) {
      throw ManifestErrors.corrupted(
          "duplicate path name in backup manifest: \"" + entry.path() + "\"");
    }
    if (files != null) {
      files.add(entry);
    }
    onFile.accept(entry);
  }

  private void finishWalRange() {
    walRanges.add(
        ManifestValues.walRange(
            walRangeValues.get(WalRangeField.TIMELINE),
            walRangeValues.get(WalRangeField.START_LSN),
            walRangeValues.get(WalRangeField.END_LSN)));
  }
}
