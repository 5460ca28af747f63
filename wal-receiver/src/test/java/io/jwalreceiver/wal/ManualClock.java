// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import java.time.Instant;
import java.time.InstantSource;

/** A clock that moves only when a test moves it. */
final class ManualClock implements InstantSource {

  /** Epoch milliseconds; tests add to it. */
  volatile long millis;

  ManualClock(long startMillis) {
    this.millis = startMillis;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis);
  }

  @Override
  public long millis() {
    return millis;
  }
}
