// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.StoredObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One base backup of an archive: the objects under {@code basebackups/<id>/}.
 *
 * @param id the backup id ({@code yyyyMMddTHHmmssZ})
 * @param prefix its key prefix
 * @param objects its objects, in key order
 */
public record BackupEntry(String id, String prefix, List<StoredObject> objects) {

  /** Copies the list. */
  public BackupEntry {
    objects = List.copyOf(objects);
  }

  /**
   * The backups in a listing of the backup prefix, oldest id first. Folders whose name is not a
   * backup id are not backups and are left out (nothing here ever touches them).
   */
  public static List<BackupEntry> group(List<StoredObject> objects, ArchiveLayout layout) {
    Map<String, List<StoredObject>> byId = new TreeMap<>();
    String base = layout.backupPrefix();
    for (StoredObject o : objects) {
      if (!o.key().startsWith(base)) {
        continue;
      }
      String rest = o.key().substring(base.length());
      int slash = rest.indexOf('/');
      if (slash < 0 || !ArchiveLayout.isBackupId(rest.substring(0, slash))) {
        continue;
      }
      byId.computeIfAbsent(rest.substring(0, slash), id -> new ArrayList<>()).add(o);
    }
    List<BackupEntry> backups = new ArrayList<>();
    byId.forEach((id, list) -> backups.add(new BackupEntry(id, layout.backupPrefix(id), list)));
    return backups;
  }

  /** The key of the backup's manifest. */
  public String manifestKey() {
    return prefix + ArchiveLayout.MANIFEST;
  }

  /** Whether the manifest is there: the backup was completed. */
  public boolean complete() {
    return objects.stream().anyMatch(o -> o.key().equals(manifestKey()));
  }

  /** The total size of its objects. */
  public long bytes() {
    return objects.stream().mapToLong(StoredObject::size).sum();
  }

  /**
   * Its keys in the order cleanup removes them: the manifest first, so that a backup removed only
   * in part is never taken for a complete one.
   */
  public List<String> removalOrder() {
    List<String> keys = new ArrayList<>();
    if (complete()) {
      keys.add(manifestKey());
    }
    for (StoredObject o : objects) {
      if (!o.key().equals(manifestKey())) {
        keys.add(o.key());
      }
    }
    return keys;
  }
}
