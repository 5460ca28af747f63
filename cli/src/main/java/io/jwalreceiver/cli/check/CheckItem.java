// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One line of the preflight: what was checked, how it came out, and for a failure the change that
 * fixes it.
 *
 * @param name a stable key for scripts ({@code wal_level}, {@code slot}, …)
 * @param status the verdict
 * @param message what was found, one line
 * @param fix the exact configuration line or SQL that fixes it (lines separated by {@code \n}), or
 *     null when there is nothing to fix
 */
public record CheckItem(String name, Status status, String message, @Nullable String fix) {

  /** The verdict of one item. Only {@link #FAIL} makes the command exit non-zero. */
  public enum Status {
    OK,
    WARN,
    FAIL
  }

  /** Requires the name, the status and the message. */
  public CheckItem {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(message, "message");
  }

  static CheckItem ok(String name, String message) {
    return new CheckItem(name, Status.OK, message, null);
  }

  static CheckItem warn(String name, String message) {
    return new CheckItem(name, Status.WARN, message, null);
  }

  static CheckItem warn(String name, String message, String fix) {
    return new CheckItem(name, Status.WARN, message, fix);
  }

  static CheckItem fail(String name, String message, @Nullable String fix) {
    return new CheckItem(name, Status.FAIL, message, fix);
  }

  /** An item that needed a connection or a privilege that was not there; named, as it says so. */
  static CheckItem notChecked(String name, String reason) {
    return warn(name, name + ": could not check: " + reason);
  }
}
