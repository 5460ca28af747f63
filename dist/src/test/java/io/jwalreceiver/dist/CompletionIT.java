// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jwalreceiver.cli.Main;
import io.jwalreceiver.testkit.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The staged completion scripts, run by the shells the way their completion systems run them: the
 * script sourced, the completion variables set for a command line with the cursor at its end, the
 * registered function called, and what it offers read back.
 */
class CompletionIT {

  private static Path bashScript;
  private static Path zshFunction;

  @BeforeAll
  static void findStagedScripts() throws IOException {
    Path stage = ManPagesIT.stage();
    bashScript = stage.resolve("share/bash-completion/completions/jwalreceiver");
    zshFunction = stage.resolve("share/zsh/site-functions/_jwalreceiver");
    assertThat(bashScript).isRegularFile();
    assertThat(zshFunction).isRegularFile();
  }

  /** A word for a shell script: in single quotes. */
  private static String quoted(String word) {
    return "'" + word.replace("'", "'\\''") + "'";
  }

  /**
   * What bash completion offers for the last word of {@code words} (the cursor after it): the
   * function that the script's {@code complete} registered for jwalreceiver, called as bash calls
   * it.
   */
  private static List<String> bashCompletions(String... words) {
    StringBuilder array = new StringBuilder();
    for (String w : words) {
      array.append(quoted(w)).append(' ');
    }
    String line = String.join(" ", words);
    String script =
        "set -u\n"
            // The builtin works only while readline runs a completion.
            + "compopt() { :; }\n"
            + "source "
            + quoted(bashScript.toString())
            + " || exit 3\n"
            + "spec=$(complete -p jwalreceiver) || exit 4\n"
            + "fn=$(sed -E 's/.* -F ([^ ]+) .*/\\1/' <<<\"$spec\")\n"
            + "COMP_WORDS=("
            + array
            + ")\n"
            + "COMP_CWORD="
            + (words.length - 1)
            + "\n"
            + "COMP_LINE="
            + quoted(line)
            + "\n"
            + "COMP_POINT=${#COMP_LINE}\n"
            + "COMPREPLY=()\n"
            + "\"$fn\" jwalreceiver "
            + quoted(words[words.length - 1])
            + " "
            + quoted(words.length > 1 ? words[words.length - 2] : "")
            + "\n"
            + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
    Tools.Result r = Tools.run(List.of("bash", "--norc", "--noprofile", "-c", script));
    assertThat(r.exitCode()).as(r.all()).isZero();
    assertThat(r.stderr()).as("bash's errors").isEmpty();
    return r.stdout().lines().map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  @Test
  void bashRegistersTheCompletionForJwalreceiver() {
    Tools.Result r =
        Tools.run(
            List.of(
                "bash",
                "--norc",
                "--noprofile",
                "-c",
                "source " + quoted(bashScript.toString()) + " && complete -p jwalreceiver"));
    assertThat(r.exitCode()).as(r.all()).isZero();
    assertThat(r.stdout()).contains("-F _complete_jwalreceiver").endsWith(" jwalreceiver\n");
  }

  /** A completion file is sourced, never run: no interpreter line (lintian warns about one). */
  @Test
  void theBashFileHasNoInterpreterLine() throws IOException {
    assertThat(Files.readString(bashScript)).doesNotStartWith("#!");
  }

  @Test
  void bashCompletesCommandsAndOptions() {
    assertThat(bashCompletions("jwalreceiver", "ba")).containsExactly("basebackup");
    assertThat(bashCompletions("jwalreceiver", "basebackup", "--wal-m"))
        .containsExactly("--wal-method");
    assertThat(bashCompletions("jwalreceiver", "receivewal", "--sl")).containsExactly("--slot");
    assertThat(bashCompletions("jwalreceiver", "slot", "cr")).containsExactly("create");
    assertThat(bashCompletions("jwalreceiver", "slot", "create", "--if-"))
        .containsExactly("--if-not-exists");
  }

  @Test
  void bashOffersEveryCommandOfTheTree() {
    CommandLine tree = Main.commandTree(null, Map.of());
    assertThat(bashCompletions("jwalreceiver", "")).containsAll(tree.getSubcommands().keySet());
    for (CommandLine sub : tree.getSubcommands().values()) {
      if (!sub.getSubcommands().isEmpty()) {
        assertThat(bashCompletions("jwalreceiver", sub.getCommandName(), ""))
            .as(sub.getCommandName())
            .containsAll(sub.getSubcommands().keySet());
      }
    }
  }

  @Test
  void theZshFileIsACompdefFunctionAroundTheBashScript() throws IOException {
    String zsh = Files.readString(zshFunction);
    assertThat(zsh.lines().findFirst()).hasValue("#compdef jwalreceiver");
    assertThat(zsh).contains(Files.readString(bashScript)).contains("bashcompinit");
  }

  /**
   * What zsh completion offers for the last word of {@code words}: the function file autoloaded
   * from the fpath as compinit does and called with the completion system's {@code words} and
   * {@code CURRENT}; {@code compadd} (a builtin only a completion widget may call) is replaced by a
   * function that keeps the matches of the current word's prefix, as compadd does, and {@code
   * compdef} by one that records the registration.
   */
  private static List<String> zshCompletions(String... words) throws IOException {
    Path script = Files.createTempFile("completion", ".zsh");
    try {
      Files.writeString(
          script,
          String.join(
              "\n",
              "fpath=(" + quoted(zshFunction.getParent().toString()) + " $fpath)",
              "typeset -ga registered offered",
              "compdef() { registered+=(\"$*\") }",
              "compadd() {",
              "  while (( $# )); do",
              "    case $1 in",
              "      (-) shift; break;;",
              "      (-[SPpsiIWdJVXxrRMFQ]) shift 2;;",
              "      (-*) shift;;",
              "      (*) break;;",
              "    esac",
              "  done",
              "  offered+=(${(M)@:#${PREFIX}*})",
              "}",
              "words=(\"$@\"); CURRENT=$#; PREFIX=${words[CURRENT]}",
              "autoload -U _jwalreceiver",
              "_jwalreceiver",
              "print -r -- \"registered: ${registered[1]}\"",
              "print -rl -- $offered",
              ""));
      List<String> command = new java.util.ArrayList<>(List.of("zsh", "-f", script.toString()));
      command.addAll(List.of(words));
      Tools.Result r = Tools.run(command);
      assertThat(r.exitCode()).as(r.all()).isZero();
      assertThat(r.stderr()).as("zsh's errors").isEmpty();
      List<String> lines = r.stdout().lines().toList();
      assertThat(lines.get(0))
          .isEqualTo(
              "registered: _bash_complete -F _complete_jwalreceiver -o default jwalreceiver"
                  + " jwalreceiver.sh jwalreceiver.bash");
      return lines.subList(1, lines.size()).stream().filter(s -> !s.isEmpty()).toList();
    } finally {
      Files.delete(script);
    }
  }

  @Test
  void zshCompletesCommandsAndOptions() throws IOException {
    assumeTrue(Tools.installed("zsh"), "zsh is not installed");
    assertThat(zshCompletions("jwalreceiver", "ba")).containsExactly("basebackup");
    assertThat(zshCompletions("jwalreceiver", "basebackup", "--wal-m"))
        .containsExactly("--wal-method");
    assertThat(zshCompletions("jwalreceiver", "slot", "cr")).containsExactly("create");
    assertThat(zshCompletions("jwalreceiver", "receivewal", "--sl")).containsExactly("--slot");
  }
}
