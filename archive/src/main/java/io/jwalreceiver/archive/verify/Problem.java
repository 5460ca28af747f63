// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.verify;

/**
 * One thing wrong with an archive.
 *
 * @param object the object it concerns, as a location ({@code s3://bucket/prefix/wal/…} or a path)
 * @param message what is wrong with it
 */
public record Problem(String object, String message) {

  /** The one-line form: {@code object: message}. */
  @Override
  public String toString() {
    return object + ": " + message;
  }
}
