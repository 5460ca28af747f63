// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.bench;

/**
 * A bench as its command drives it: one run, and what the progress line shows meanwhile.
 *
 * @param <R> what a run reports
 */
public interface Measured<R> {

  /** The bytes received so far (read from the progress thread). */
  long bytesSoFar();

  /** The seconds measured so far, 0 before the measured part starts. */
  double secondsSoFar();

  /** Runs the bench once. */
  R run();
}
