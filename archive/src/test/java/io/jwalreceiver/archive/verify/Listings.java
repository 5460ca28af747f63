// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.archive.store.StoredObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Synthetic archive listings for the pure tests: keys only, 16 MiB segments. */
final class Listings {

  static final WalSegmentSize SIZE = new WalSegmentSize(16 << 20);

  private Listings() {}

  /** A listing of {@code wal/} keys for the given file names. */
  static WalListing wal(String... names) {
    return WalListing.of(objects("wal/", names), "wal/", SIZE);
  }

  /** Objects named {@code prefix + name}, each 1000 bytes. */
  static List<StoredObject> objects(String prefix, String... names) {
    List<StoredObject> objects = new ArrayList<>();
    for (String n : names) {
      objects.add(new StoredObject(prefix + n, 1000, null, Instant.EPOCH));
    }
    return objects;
  }

  /** The names of segments {@code first..last} of a timeline (16 MiB: log id 0). */
  static String[] segments(int timeline, int first, int last, String suffix) {
    String[] names = new String[last - first + 1];
    for (int i = first; i <= last; i++) {
      names[i - first] = String.format("%08X%08X%08X%s", timeline, 0, i, suffix);
    }
    return names;
  }

  /** Concatenates name arrays. */
  static String[] names(String[]... parts) {
    List<String> all = new ArrayList<>();
    for (String[] p : parts) {
      all.addAll(List.of(p));
    }
    return all.toArray(String[]::new);
  }
}
