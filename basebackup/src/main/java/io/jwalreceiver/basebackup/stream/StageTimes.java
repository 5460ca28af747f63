// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.stream;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Busy time per stage of the backup pipeline, summed over the threads that run it (the receive
 * thread, a decompressor's worker, the background fsync thread), for {@code jwalreceiver bench
 * basebackup}. Cheap enough for the hot path: two {@link System#nanoTime} calls and one atomic add
 * per timed call, no allocation. The {@link #OFF} instance does nothing.
 */
@SuppressWarnings("EnumOrdinal") // the stages index one AtomicLongArray: EnumMap's idiom, lock-free
public final class StageTimes {

  /** The stages that can be timed inside the sinks. */
  public enum Stage {
    /** Server-compressed archives turned back into tar (excluding waits for input). */
    DECOMPRESSION,
    /**
     * Tar parsing, file creation and writing (plain); file writing and client compression (tar).
     */
    EXTRACTION,
    /** Forcing files and directories to stable storage. */
    FSYNC
  }

  /** Times nothing. */
  public static final StageTimes OFF = new StageTimes(false);

  private final boolean enabled;
  private final AtomicLongArray nanos = new AtomicLongArray(Stage.values().length);

  private StageTimes(boolean enabled) {
    this.enabled = enabled;
  }

  /** A new, enabled set of timers at zero. */
  public static StageTimes create() {
    return new StageTimes(true);
  }

  /** The start of a timed section: pass it to {@link #end}. */
  public long start() {
    return enabled ? System.nanoTime() : 0;
  }

  /** Adds the time since {@code start} to {@code stage}. */
  public void end(Stage stage, long start) {
    if (enabled) {
      nanos.addAndGet(stage.ordinal(), System.nanoTime() - start);
    }
  }

  /** Adds {@code n} nanoseconds to {@code stage}. */
  public void add(Stage stage, long n) {
    if (enabled) {
      nanos.addAndGet(stage.ordinal(), n);
    }
  }

  /** The nanoseconds summed for {@code stage}. */
  public long nanos(Stage stage) {
    return nanos.get(stage.ordinal());
  }
}
