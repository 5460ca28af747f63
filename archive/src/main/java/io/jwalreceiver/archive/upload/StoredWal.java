// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.upload;

import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoredObject;
import io.jwalreceiver.archive.upload.WalFileName.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@link WalUploader}'s view of the store's {@code wal/}: listed once at start, then kept up to
 * date with what the uploader stores; the check of an object found there against the local file
 * (size, and SHA-256 for the newest {@value WalUploader#VERIFIED_AT_START} found and for
 * conflicts), and the upload itself. Upload thread only.
 */
final class StoredWal {

  private final ObjectStore store;
  private final ArchiveLayout layout;

  private @Nullable Map<String, StoredObject> existing;
  private final Set<String> toVerify = new HashSet<>();
  private final Set<String> conflicts = new HashSet<>();
  private final Set<Long> storedHistories = new HashSet<>();
  private final Map<Long, Long> storedNewestPosition = new HashMap<>();

  StoredWal(ObjectStore store, ArchiveLayout layout) {
    this.store = store;
    this.layout = layout;
  }

  /** Whether {@link #list} succeeded once. */
  boolean listed() {
    return existing != null;
  }

  /**
   * Lists {@code wal/}: what it holds of each timeline, and which of the {@code local} file names
   * are there already.
   */
  void list(Set<String> local) throws IOException {
    List<StoredObject> objects = store.list(layout.walPrefix());
    Map<String, StoredObject> found = new HashMap<>();
    List<WalFileName> foundNames = new ArrayList<>();
    storedHistories.clear();
    storedNewestPosition.clear();
    for (StoredObject o : objects) {
      String name = o.key().substring(layout.walPrefix().length());
      Optional<WalFileName> parsed = WalFileName.parse(name);
      if (parsed.isEmpty()) {
        continue;
      }
      WalFileName f = parsed.get();
      recordStored(f);
      if (local.contains(name)) {
        found.put(name, o);
        foundNames.add(f);
      }
    }
    foundNames.sort(WalFileName.UPLOAD_ORDER);
    toVerify.clear();
    int verified = WalUploader.VERIFIED_AT_START;
    for (WalFileName f :
        foundNames.subList(Math.max(0, foundNames.size() - verified), foundNames.size())) {
      toVerify.add(f.fileName());
    }
    existing = found;
  }

  /** Forgets the conflicts of files no longer in the spool. */
  void retainConflicts(Set<String> local) {
    conflicts.retainAll(local);
  }

  /** The store holds {@code f} now. */
  void recordStored(WalFileName f) {
    if (f.kind() == Kind.HISTORY) {
      storedHistories.add(f.timeline());
    } else {
      storedNewestPosition.merge(
          f.timeline(), f.position(), (a, b) -> Long.compareUnsigned(a, b) >= 0 ? a : b);
    }
  }

  /** What the store holds, as far as the plan needs it: history files, newest segment per line. */
  List<WalFileName> summary() {
    List<WalFileName> summary = new ArrayList<>();
    for (long timeline : storedHistories) {
      summary.add(new WalFileName("", Kind.HISTORY, timeline, 0));
    }
    storedNewestPosition.forEach(
        (timeline, position) -> summary.add(new WalFileName("", Kind.SEGMENT, timeline, position)));
    return summary;
  }

  /** The object key of a WAL file. */
  String key(WalFileName name) {
    return layout.walKey(name.fileName());
  }

  /**
   * Makes sure the store holds the file at {@code path}: found there at start (false), or stored
   * now (true).
   */
  boolean store(WalFileName file, Path path) throws IOException {
    String name = file.fileName();
    String key = key(file);
    StoredObject there = Objects.requireNonNull(existing).remove(name);
    boolean verify = toVerify.remove(name);
    if (there == null && conflicts.contains(name)) {
      there = store.stat(key).orElse(null);
      verify = true;
    }
    if (there != null) {
      String difference = difference(there, path, verify);
      if (difference == null) {
        conflicts.remove(name);
        return false;
      }
      conflicts.add(name);
      throw new IOException(
          "\""
              + store.describe(key)
              + "\" already holds other content ("
              + difference
              + "); it is not replaced: remove it, or archive elsewhere");
    }
    long size = Files.size(path);
    StoredObject stored = store.put(key, path);
    if (stored.size() != size) {
      throw new IOException(
          "the store reports " + stored.size() + " bytes for a file of " + size + " bytes");
    }
    return true;
  }

  /** How an object differs from the local file, or null when it holds the same bytes. */
  private @Nullable String difference(StoredObject there, Path path, boolean verify)
      throws IOException {
    long size = Files.size(path);
    if (there.size() != size) {
      return there.size() + " bytes, the local file " + size;
    }
    if (!verify) {
      return null;
    }
    String sha256 = there.sha256();
    if (sha256 == null) {
      sha256 = store.stat(there.key()).map(StoredObject::sha256).orElse(null);
    }
    if (sha256 == null) {
      return null;
    }
    String local = sha256(path);
    return local.equalsIgnoreCase(sha256)
        ? null
        : "SHA-256 " + sha256 + ", the local file " + local;
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        digest.update(buffer, 0, n);
      }
    }
    return java.util.HexFormat.of().formatHex(digest.digest());
  }
}
