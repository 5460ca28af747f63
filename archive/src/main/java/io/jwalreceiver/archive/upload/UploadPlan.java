// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.upload;

import io.jwalreceiver.archive.upload.WalFileName.Kind;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What may be uploaded from a spool directory, in which order, and what may then be removed: the
 * rules of {@link WalUploader}, without I/O.
 *
 * <p>Eligible for upload, in {@link WalFileName#UPLOAD_ORDER}:
 *
 * <ul>
 *   <li>every history file;
 *   <li>every completed segment (receivewal renames a segment only once it is complete and forced);
 *   <li>the {@code .partial} of a timeline that ended: a history file of a higher timeline exists
 *       (in the spool or the store) and so does a segment file of a higher timeline at the same or
 *       a later position, so receivewal's resume scan prefers that file and never writes this one
 *       again.
 * </ul>
 *
 * Never the {@code .partial} being written, nor a {@code .partial} that a completed file of its own
 * timeline superseded (left in place, as pg_receivewal leaves it), nor anything that is not a WAL
 * file name.
 *
 * <p>Removable once uploaded (unless the local copy is kept): every segment file that receivewal's
 * resume scan ranks below the newest completed segment. History files are never removed (receivewal
 * checks timelines against them), nor is the newest completed segment (the resume scan's start
 * point), nor anything the scan would rank above it.
 */
public final class UploadPlan {

  private final List<WalFileName> eligible;
  private final @Nullable WalFileName newestCompleted;

  private UploadPlan(List<WalFileName> eligible, @Nullable WalFileName newestCompleted) {
    this.eligible = eligible;
    this.newestCompleted = newestCompleted;
  }

  /**
   * The plan for a spool.
   *
   * @param spool the WAL files in the spool directory
   * @param stored the WAL files known to be in the store
   */
  public static UploadPlan of(Collection<WalFileName> spool, Collection<WalFileName> stored) {
    List<WalFileName> eligible = new ArrayList<>();
    WalFileName newest = null;
    for (WalFileName f : spool) {
      if (f.kind() != Kind.PARTIAL || timelineEnded(f, spool, stored)) {
        eligible.add(f);
      }
      if (f.kind() == Kind.SEGMENT
          && (newest == null || WalFileName.RESUME_ORDER.compare(f, newest) > 0)) {
        newest = f;
      }
    }
    eligible.sort(WalFileName.UPLOAD_ORDER);
    return new UploadPlan(List.copyOf(eligible), newest);
  }

  /** The files to upload, in upload order (including those already uploaded). */
  public List<WalFileName> eligible() {
    return eligible;
  }

  /** The newest completed segment in the spool, which stays there; null when there is none. */
  public @Nullable WalFileName newestCompleted() {
    return newestCompleted;
  }

  /** Whether an uploaded file may be removed from the spool. */
  public boolean mayRemove(WalFileName file) {
    WalFileName newest = newestCompleted;
    return file.isSegmentFile()
        && newest != null
        && WalFileName.RESUME_ORDER.compare(file, newest) < 0;
  }

  private static boolean timelineEnded(
      WalFileName partial, Collection<WalFileName> spool, Collection<WalFileName> stored) {
    boolean laterHistory = false;
    boolean laterSegment = false;
    for (Collection<WalFileName> files : List.of(spool, stored)) {
      for (WalFileName f : files) {
        if (f.timeline() <= partial.timeline()) {
          continue;
        }
        if (f.kind() == Kind.HISTORY) {
          laterHistory = true;
        } else if (Long.compareUnsigned(f.position(), partial.position()) >= 0) {
          laterSegment = true;
        }
      }
    }
    return laterHistory && laterSegment;
  }
}
