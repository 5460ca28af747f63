// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.upload;

import java.time.Duration;

/**
 * How a {@link WalUploader} works.
 *
 * @param keepLocal keep every uploaded file in the spool (by default an uploaded file is removed
 *     unless it is a history file or the newest completed segment)
 * @param scanInterval how often the spool is scanned without being woken
 * @param firstRetryDelay the wait after a first failure, doubled after each further one
 * @param maxRetryDelay the longest wait between attempts
 */
public record UploadOptions(
    boolean keepLocal, Duration scanInterval, Duration firstRetryDelay, Duration maxRetryDelay) {

  /** Remove uploaded files; scan every 5 s; retry after 1 s, doubling up to 60 s. */
  public static final UploadOptions DEFAULTS =
      new UploadOptions(
          false, Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(60));

  /**
   * Checks the durations.
   *
   * @throws IllegalArgumentException when one is not positive, or the first retry delay is longer
   *     than the longest
   */
  public UploadOptions {
    if (scanInterval.isNegative()
        || scanInterval.isZero()
        || firstRetryDelay.isNegative()
        || firstRetryDelay.isZero()
        || firstRetryDelay.compareTo(maxRetryDelay) > 0) {
      throw new IllegalArgumentException(
          "invalid upload timing: scan every "
              + scanInterval
              + ", retry after "
              + firstRetryDelay
              + " up to "
              + maxRetryDelay);
    }
  }

  /** These options with {@link #keepLocal} set. */
  public UploadOptions withKeepLocal(boolean keep) {
    return new UploadOptions(keep, scanInterval, firstRetryDelay, maxRetryDelay);
  }
}
