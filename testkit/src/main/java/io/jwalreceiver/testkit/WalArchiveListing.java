// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

/**
 * The files of a WAL archive directory (what {@code pg_receivewal} or our receiver writes), sorted
 * by kind; each list in name order.
 *
 * @param complete plain segment files: 24 upper-case hex digits
 * @param partials the same followed by {@code .partial}
 * @param others every other name (compressed segments, history files, temporary files ...)
 */
public record WalArchiveListing(List<String> complete, List<String> partials, List<String> others) {

  /**
   * Lists a directory (not recursively).
   *
   * @param dir the archive directory
   * @return its file names by kind
   * @throws UncheckedIOException when the directory cannot be listed
   */
  public static WalArchiveListing of(Path dir) {
    List<String> complete = new ArrayList<>();
    List<String> partials = new ArrayList<>();
    List<String> others = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files
          .map(p -> p.getFileName().toString())
          .sorted()
          .forEach(
              n -> {
                if (n.matches("[0-9A-F]{24}")) {
                  complete.add(n);
                } else if (n.matches("[0-9A-F]{24}\\.partial")) {
                  partials.add(n);
                } else {
                  others.add(n);
                }
              });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new WalArchiveListing(complete, partials, others);
  }

  /**
   * Checks that, on one timeline, the complete segments and the partials have no holes between them
   * and that the last partial comes after the last complete segment.
   *
   * @param segmentNumber the segment number of a 24-digit segment name (the product's own name
   *     parser, for the server's segment size)
   * @throws AssertionError when a segment is missing or a partial is not the newest
   */
  public void assertContiguous(ToLongFunction<String> segmentNumber) {
    List<String> all = new ArrayList<>(complete);
    partials.forEach(p -> all.add(p.substring(0, 24)));
    all.sort(null);
    for (int i = 1; i < all.size(); i++) {
      long a = segmentNumber.applyAsLong(all.get(i - 1));
      long b = segmentNumber.applyAsLong(all.get(i));
      if (b != a + 1) {
        throw new AssertionError(
            "[segment after "
                + all.get(i - 1)
                + " in "
                + all
                + "] expected "
                + (a + 1)
                + " but was "
                + b);
      }
    }
    if (!partials.isEmpty() && !complete.isEmpty()) {
      String lastPartial = partials.get(partials.size() - 1).substring(0, 24);
      String lastComplete = complete.get(complete.size() - 1);
      if (lastPartial.compareTo(lastComplete) <= 0) {
        throw new AssertionError(
            "partial "
                + lastPartial
                + ".partial is not after the last complete segment "
                + lastComplete
                + " in "
                + this);
      }
    }
  }
}
