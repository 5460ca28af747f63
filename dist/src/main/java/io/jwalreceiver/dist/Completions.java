// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import io.jwalreceiver.cli.Cli;
import io.jwalreceiver.cli.Main;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.AutoComplete;

/**
 * Writes the shell completion of {@code jwalreceiver}'s whole command tree ({@link
 * Main#commandTree}) with picocli's {@link AutoComplete}: the bash script, and the same script as a
 * zsh completion function file ({@code #compdef jwalreceiver}) that runs it through zsh's
 * bashcompinit.
 *
 * <p>{@code java io.jwalreceiver.dist.Completions BASH_FILE ZSH_FILE}
 */
public final class Completions {

  private Completions() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 2) {
      throw new IllegalArgumentException("usage: Completions BASH_FILE ZSH_FILE");
    }
    String bash = bash();
    write(Path.of(args[0]), bash);
    write(Path.of(args[1]), zsh(bash));
  }

  /**
   * picocli's bash completion script for {@code jwalreceiver}, without its {@code #!} line: the
   * file is sourced by bash-completion, never run, and Debian's policy (lintian's
   * bash-completion-with-hashbang) wants no interpreter line on it.
   */
  public static String bash() {
    String script = AutoComplete.bash(Cli.PROGRAM, Main.commandTree(null, Map.of()));
    if (script.startsWith("#!")) {
      int end = script.indexOf('\n');
      script = "# bash completion for " + Cli.PROGRAM + (end < 0 ? "\n" : script.substring(end));
    }
    return script;
  }

  /**
   * The zsh completion function file around the bash script. zsh's compinit autoloads a file of its
   * fpath whose first line is {@code #compdef jwalreceiver} as the function {@code _jwalreceiver}
   * and calls it to complete {@code jwalreceiver}. Its first call runs the script, which loads
   * bashcompinit and, through bashcompinit's {@code complete}, makes {@code _bash_complete -F
   * _complete_jwalreceiver} the completer of later calls; the last line completes this first call
   * the same way.
   *
   * <p>The script is parsed as the function's body before it runs, so the alias it defines for
   * {@code compopt} (zsh has no such builtin) would not apply to its own calls: a function that
   * does nothing stands in for it (zsh's {@code _bash_complete} takes the {@code -o} options from
   * the registration, not from {@code compopt}), and the alias is removed again.
   */
  static String zsh(String bash) {
    String function = "_complete_" + Cli.PROGRAM;
    return "#compdef "
        + Cli.PROGRAM
        + "\n"
        + "# zsh completion for "
        + Cli.PROGRAM
        + ": picocli's bash completion script run through zsh's bashcompinit.\n"
        + "compopt() { return 0; }\n"
        + "\n"
        + bash
        + "\n"
        + "unalias compopt 2>/dev/null\n"
        + "_bash_complete -F "
        + function
        + " -o default\n";
  }

  private static void write(Path file, String text) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }
}
