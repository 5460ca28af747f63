// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.restore;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.basebackup.compress.ArchiveDecompressor;
import io.jwalreceiver.basebackup.manifest.BackupVerifier;
import io.jwalreceiver.basebackup.sink.DirectoryBackupSink;
import io.jwalreceiver.basebackup.sink.DirectoryTree;
import io.jwalreceiver.basebackup.sink.OutputDirectory;
import io.jwalreceiver.basebackup.sink.TablespaceMapping;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Materialises a complete base backup of an archive ({@code basebackups/ID/} with its {@code
 * backup_manifest}) into an empty data directory: {@code base.tar[.gz|.lz4|.zst]} into it, each
 * tablespace's {@code <oid>.tar…} into its location ({@code pg_tblspc/<oid>} as {@code base.tar}
 * made it, or {@code tablespace_map}; both through the {@code -T} mappings), {@code pg_wal.tar…}
 * into its {@code pg_wal}, then the manifest, and finally checks the result against that manifest
 * as {@code verifybackup} does.
 *
 * <p>Objects are streamed from the store through basebackup's extraction ({@link
 * DirectoryBackupSink}: decompression, the tar reader, the guard that keeps every member inside its
 * directory and never writes through a link); nothing is staged on disk first, memory is bounded by
 * the chunk size and the decompressor's queue. On failure only what this run created is removed.
 */
public final class BackupRestore {

  /** Chosen by {@code --backup latest}: the newest complete backup. */
  public static final String LATEST = "latest";

  private static final int CHUNK = 128 * 1024;

  private static final Pattern TABLESPACE =
      Pattern.compile("[1-9][0-9]*\\.tar(\\.gz|\\.lz4|\\.zst)?");

  private final ObjectStore store;
  private final ArchiveLayout layout;

  /**
   * A restore from {@code store}, laid out as {@code layout}.
   *
   * @param store the archive's store
   * @param layout where the backups are
   */
  public BackupRestore(ObjectStore store, ArchiveLayout layout) {
    this.store = Objects.requireNonNull(store, "store");
    this.layout = Objects.requireNonNull(layout, "layout");
  }

  /**
   * One backup in the archive.
   *
   * @param id its id ({@code yyyyMMddTHHmmssZ})
   * @param files its objects by file name ({@code base.tar}, {@code backup_manifest}, …)
   */
  public record Backup(String id, Map<String, StoredObject> files) {

    /** Copies the map. */
    public Backup {
      files = Map.copyOf(files);
    }

    /** Whether the manifest, written last, is there. */
    public boolean complete() {
      return files.containsKey(ArchiveLayout.MANIFEST);
    }
  }

  /**
   * What a restore did.
   *
   * @param backup the backup restored
   * @param bytes the object bytes read from the store
   * @param verifiedWal whether the backup carried its WAL ({@code pg_wal.tar}) and it was checked
   */
  public record Result(Backup backup, long bytes, boolean verifiedWal) {}

  /** Every backup in the archive, complete or not, oldest first. */
  public List<Backup> backups() throws IOException {
    String prefix = layout.backupPrefix();
    Map<String, Map<String, StoredObject>> byId = new TreeMap<>();
    List<StoredObject> objects;
    try {
      objects = store.list(prefix);
    } catch (SdkException e) {
      throw new IOException(e.getMessage(), e);
    }
    for (StoredObject o : objects) {
      String rest = o.key().substring(prefix.length());
      int slash = rest.indexOf('/');
      if (slash < 0 || !ArchiveLayout.isBackupId(rest.substring(0, slash))) {
        continue;
      }
      String name = rest.substring(slash + 1);
      if (name.isEmpty() || name.contains("/")) {
        continue;
      }
      byId.computeIfAbsent(rest.substring(0, slash), k -> new TreeMap<>()).put(name, o);
    }
    List<Backup> backups = new ArrayList<>();
    byId.forEach((id, files) -> backups.add(new Backup(id, files)));
    return backups;
  }

  /**
   * The complete backup {@code id}, or the newest complete one for {@link #LATEST}.
   *
   * @throws PgException {@link SqlState#UNDEFINED_OBJECT} naming what is missing
   */
  public Backup choose(String id) throws IOException {
    List<Backup> backups = backups();
    if (id.equals(LATEST)) {
      for (int i = backups.size() - 1; i >= 0; i--) {
        if (backups.get(i).complete()) {
          return backups.get(i);
        }
      }
      throw new PgException(
          SqlState.UNDEFINED_OBJECT,
          "no complete backup in " + store.describe(layout.backupPrefix()));
    }
    if (!ArchiveLayout.isBackupId(id)) {
      throw new PgException(
          SqlState.INVALID_PARAMETER_VALUE,
          "invalid backup id \"" + id + "\": expected yyyyMMddTHHmmssZ or \"latest\"");
    }
    Optional<Backup> found = backups.stream().filter(b -> b.id().equals(id)).findFirst();
    if (found.isEmpty()) {
      throw new PgException(
          SqlState.UNDEFINED_OBJECT,
          "backup \"" + id + "\" not found in " + store.describe(layout.backupPrefix()));
    }
    if (!found.get().complete()) {
      throw new PgException(
          SqlState.UNDEFINED_OBJECT,
          "backup \""
              + id
              + "\" is not complete: it has no "
              + ArchiveLayout.MANIFEST
              + " (interrupted, or still being written)");
    }
    return found.get();
  }

  /**
   * Restores {@code backup} into {@code dataDir}.
   *
   * @param dataDir absent or empty (pg_basebackup's rule and message)
   * @param mappings {@code -T OLDDIR=NEWDIR}: where tablespaces go instead of their recorded place
   * @param errors receives each verification error message
   * @throws PgException when the backup is malformed, extraction is refused, or the result does not
   *     match the manifest (after reporting each mismatch to {@code errors})
   * @throws IOException when the store cannot be read
   */
  public Result restore(
      Backup backup, Path dataDir, List<TablespaceMapping> mappings, Consumer<String> errors)
      throws IOException {
    Plan plan = plan(backup);
    Path target = dataDir.toAbsolutePath().normalize();
    OutputDirectory out = OutputDirectory.prepare(target);
    DirectoryBackupSink sink = new DirectoryBackupSink(out, mappings, null, true, false);
    List<Path> createdTablespaces = new ArrayList<>();
    boolean sinkDone = false;
    long bytes = 0;
    try {
      bytes += extract(sink, backup, plan.base(), "");
      Map<String, String> tablespaceMap = tablespaceMap(target);
      for (String name : plan.tablespaces()) {
        String oid = name.substring(0, name.indexOf('.'));
        Path location = tablespaceLocation(target, oid, tablespaceMap, mappings, name);
        if (!location.startsWith(target) && !Files.exists(location, LinkOption.NOFOLLOW_LINKS)) {
          createdTablespaces.add(location);
        }
        linkTablespace(target, oid, location);
        bytes += extract(sink, backup, name, location.toString());
      }
      String wal = plan.wal();
      if (wal != null) {
        bytes += extract(sink, backup, wal, target.resolve("pg_wal").toString());
      }
      sink.manifestStart();
      bytes += stream(backup, ArchiveLayout.MANIFEST, sink::manifestData);
      sink.manifestEnd();
      sink.finish();
      sinkDone = true;
      BackupVerifier.Result verified =
          BackupVerifier.builder(target).skipWal(wal == null).build().verify(errors);
      if (!verified.ok()) {
        throw new PgException(
            SqlState.DATA_CORRUPTED,
            "restored backup \""
                + backup.id()
                + "\" does not match its manifest ("
                + verified.errors()
                + " error(s))");
      }
      rewriteTablespaceMap(target, tablespaceMap, mappings);
      return new Result(backup, bytes, wal != null);
    } catch (IOException | RuntimeException | Error e) {
      if (!sinkDone) {
        sink.abort();
      } else {
        out.cleanUp();
      }
      for (Path p : createdTablespaces) {
        try {
          if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            DirectoryTree.delete(p, false);
          }
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  /** The backup's objects by role. */
  private record Plan(String base, List<String> tablespaces, @Nullable String wal) {}

  private static Plan plan(Backup backup) {
    String base = null;
    String wal = null;
    List<String> tablespaces = new ArrayList<>();
    for (String name : backup.files().keySet()) {
      if (name.equals(ArchiveLayout.MANIFEST)) {
        continue;
      }
      if (ArchiveDecompressor.algorithmOf(name) != null && name.startsWith("base.tar")) {
        base = one(backup, base, name);
      } else if (ArchiveDecompressor.algorithmOf(name) != null && name.startsWith("pg_wal.tar")) {
        wal = one(backup, wal, name);
      } else if (TABLESPACE.matcher(name).matches()) {
        tablespaces.add(name);
      } else {
        throw new PgException(
            SqlState.DATA_CORRUPTED,
            "backup \"" + backup.id() + "\" has an unexpected object \"" + name + "\"");
      }
    }
    if (base == null) {
      throw new PgException(
          SqlState.DATA_CORRUPTED, "backup \"" + backup.id() + "\" has no base.tar");
    }
    return new Plan(base, tablespaces, wal);
  }

  private static String one(Backup backup, @Nullable String earlier, String name) {
    if (earlier != null) {
      throw new PgException(
          SqlState.DATA_CORRUPTED,
          "backup \"" + backup.id() + "\" has both \"" + earlier + "\" and \"" + name + "\"");
    }
    return name;
  }

  /** One archive through the sink; returns the object bytes read. */
  private long extract(DirectoryBackupSink sink, Backup backup, String name, String location)
      throws IOException {
    sink.archiveStart(name, location, true);
    long n = stream(backup, name, sink::archiveData);
    sink.archiveEnd();
    return n;
  }

  /** Streams one object of the backup in chunks. */
  private long stream(Backup backup, String name, Consumer<ByteBuffer> to) throws IOException {
    String key = layout.backupKey(backup.id(), name);
    byte[] buf = new byte[CHUNK];
    long total = 0;
    try (InputStream in = store.open(key)) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (n > 0) {
          to.accept(ByteBuffer.wrap(buf, 0, n));
          total += n;
        }
      }
    } catch (SdkException e) {
      throw new IOException("could not read " + store.describe(key) + ": " + e.getMessage(), e);
    }
    return total;
  }

  /**
   * {@code tablespace_map} of the restored data directory ({@code oid path} lines, written by the
   * server when the backup asked for it), or empty.
   */
  private static Map<String, String> tablespaceMap(Path target) throws IOException {
    Path file = target.resolve("tablespace_map");
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      return Map.of();
    }
    Map<String, String> map = new TreeMap<>();
    try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
      for (String line : (Iterable<String>) lines::iterator) {
        int space = line.indexOf(' ');
        if (space > 0) {
          map.put(line.substring(0, space), line.substring(space + 1));
        }
      }
    }
    return map;
  }

  /**
   * Makes {@code pg_tblspc/<oid>} point to the tablespace's location, as a plain backup has it,
   * when {@code base.tar} did not carry the link (a tar-format backup brings {@code tablespace_map}
   * instead): the manifest's tablespace files are checked through it, and the server finds its
   * tablespace there.
   */
  private static void linkTablespace(Path target, String oid, Path location) throws IOException {
    Path dir = target.resolve("pg_tblspc");
    Path link = dir.resolve(oid);
    if (Files.isSymbolicLink(link)) {
      return;
    }
    if (Files.isSymbolicLink(dir) || Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
      throw new PgException(
          SqlState.DATA_CORRUPTED,
          "cannot link tablespace " + oid + ": \"" + link + "\" is in the way");
    }
    Files.createDirectories(dir);
    Files.createSymbolicLink(link, location);
  }

  /**
   * Points {@code tablespace_map}'s lines through the mappings, after the check against the
   * manifest (which has the server's version): the server creates {@code pg_tblspc} links from it
   * when recovery starts.
   */
  private static void rewriteTablespaceMap(
      Path target, Map<String, String> tablespaceMap, List<TablespaceMapping> mappings)
      throws IOException {
    if (tablespaceMap.isEmpty() || mappings.isEmpty()) {
      return;
    }
    StringBuilder text = new StringBuilder();
    boolean changed = false;
    for (Map.Entry<String, String> e : tablespaceMap.entrySet()) {
      String location = e.getValue();
      String canonical = Path.of(location).normalize().toString();
      for (TablespaceMapping m : mappings) {
        if (m.oldDir().equals(canonical)) {
          location = m.newDir();
          changed = true;
        }
      }
      text.append(e.getKey()).append(' ').append(location).append('\n');
    }
    if (!changed) {
      return;
    }
    Path file = target.resolve("tablespace_map");
    Path tmp = target.resolve("tablespace_map.tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
      ch.force(true);
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Where tablespace {@code oid} goes: the target of {@code pg_tblspc/<oid>} as extracted (already
   * through the mappings), else its {@code tablespace_map} line through the mappings.
   */
  private static Path tablespaceLocation(
      Path target,
      String oid,
      Map<String, String> tablespaceMap,
      List<TablespaceMapping> mappings,
      String archive)
      throws IOException {
    Path link = target.resolve("pg_tblspc").resolve(oid);
    if (Files.isSymbolicLink(link)) {
      Path to = Files.readSymbolicLink(link);
      return to.isAbsolute() ? to.normalize() : target.resolve("pg_tblspc").resolve(to).normalize();
    }
    String recorded = tablespaceMap.get(oid);
    if (recorded == null) {
      throw new PgException(
          SqlState.DATA_CORRUPTED,
          "no location for tablespace archive \""
              + archive
              + "\": base.tar has neither pg_tblspc/"
              + oid
              + " nor a tablespace_map line for it");
    }
    Path p = Path.of(recorded);
    if (!p.isAbsolute()) {
      throw new PgException(
          SqlState.DATA_CORRUPTED,
          "tablespace " + oid + " has a relative location \"" + recorded + "\" in tablespace_map");
    }
    String canonical = p.normalize().toString();
    for (TablespaceMapping m : mappings) {
      if (m.oldDir().equals(canonical)) {
        return Path.of(m.newDir());
      }
    }
    return p.normalize();
  }
}
