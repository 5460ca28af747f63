// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import java.io.Console;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.jspecify.annotations.Nullable;

/**
 * Whether the process talks to a terminal: the question the pg tools answer with isatty, and that
 * JDK 17–21 answer with a null {@link System#console()}. From JDK 22 on {@code System.console()}
 * returns a console even when input and output are redirected, and {@code Console.isTerminal()}
 * (JDK 22, so called reflectively: we compile for 17) tells the two apart.
 */
final class Terminal {
  private static final @Nullable Method IS_TERMINAL = isTerminalMethod();

  private Terminal() {}

  /** The console when the process is attached to a terminal, else null. */
  // The one place that reads System.console(): its null test is right up to JDK 21, and on 22+
  // isTerminal() decides.
  @SuppressWarnings("SystemConsoleNull")
  static @Nullable Console console() {
    Console console = System.console();
    if (console == null || IS_TERMINAL == null) {
      return console;
    }
    try {
      return Boolean.TRUE.equals(IS_TERMINAL.invoke(console)) ? console : null;
    } catch (IllegalAccessException | InvocationTargetException e) {
      return console;
    }
  }

  /** Whether the process is attached to a terminal. */
  static boolean interactive() {
    return console() != null;
  }

  private static @Nullable Method isTerminalMethod() {
    try {
      return Console.class.getMethod("isTerminal");
    } catch (NoSuchMethodException e) {
      return null; // JDK 17-21: a non-null console is a terminal
    }
  }
}
