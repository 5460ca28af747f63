// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.SegmentName;
import io.jwalreceiver.SegmentName.ParsedWalFileName;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.archive.ArchiveLayout;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.StoredObject;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * An archive's listing: its WAL and its backups, by key. The segment size is read from the first
 * segment with a valid long page header (names alone do not tell it); 16 MiB when none has one.
 *
 * @param wal the WAL
 * @param backups the backups, oldest id first
 */
public record ArchiveContents(WalListing wal, List<BackupEntry> backups) {

  /** The segment size of servers that were not told otherwise. */
  static final WalSegmentSize DEFAULT_SIZE = new WalSegmentSize(16 << 20);

  /** Copies the list. */
  public ArchiveContents {
    backups = List.copyOf(backups);
  }

  /** Lists a store. */
  public static ArchiveContents list(ObjectStore store, ArchiveLayout layout) throws IOException {
    List<StoredObject> walObjects = store.list(layout.walPrefix());
    WalSegmentSize size = segmentSize(store, layout.walPrefix(), walObjects);
    WalListing wal = WalListing.of(walObjects, layout.walPrefix(), size);
    List<BackupEntry> backups = BackupEntry.group(store.list(layout.backupPrefix()), layout);
    return new ArchiveContents(wal, backups);
  }

  private static WalSegmentSize segmentSize(
      ObjectStore store, String walPrefix, List<StoredObject> objects) {
    for (StoredObject o : objects) {
      String name = o.key().substring(walPrefix.length());
      // The smallest size accepts every segment name a larger one does.
      Optional<ParsedWalFileName> parsed =
          SegmentName.parseArchiveName(name, new WalSegmentSize(1 << 20));
      if (parsed.isEmpty() || parsed.get().partial() || name.indexOf('/') >= 0) {
        continue;
      }
      Optional<WalSegmentSize> size;
      try {
        size = SegmentCheck.segmentSize(store.open(o.key()), parsed.get().compression());
      } catch (IOException e) {
        // Gone or unreadable: verify reports it; another segment tells the size.
        continue;
      }
      if (size.isPresent()) {
        return size.get();
      }
    }
    return DEFAULT_SIZE;
  }
}
