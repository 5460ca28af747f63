// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Fuzz target for the password file reader ({@code .pgpass}; see docs/fuzzing.md).
 *
 * <p>The input, read as UTF-8 as the file is, is a password file whose last line doubles as a
 * probe: its first five {@code :}-separated pieces are taken literally as host, port, database,
 * user and password. What must hold: looking those keys up never throws, and after appending the
 * probe written properly (with {@code \} escapes) to the rest of the file, the lookup finds what
 * the rest of the file gives for those keys, or else the probe's password.
 */
class PgPassFileFuzzTest {

  @FuzzTest
  void find(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    int lastLine = text.lastIndexOf('\n');
    String prefix = lastLine < 0 ? "" : text.substring(0, lastLine);
    String[] parts = text.substring(lastLine + 1).split(":", 5);
    String[] fields = new String[5];
    for (int i = 0; i < 5; i++) {
      fields[i] = i < parts.length ? parts[i] : "";
      if (fields[i].indexOf('\r') >= 0) {
        // A carriage return cannot end a field: the reader drops it with the line end.
        return;
      }
    }
    String host = fields[0];
    String port = fields[1];
    String database = fields[2];
    String user = fields[3];
    String password = fields[4];

    Optional<String> before = PgPassFile.find(prefix, host, port, database, user);
    // The whole input as a file, probe line included, must not throw either.
    PgPassFile.find(text, host, port, database, user);

    StringBuilder line = new StringBuilder();
    if (host.startsWith("#")) {
      line.append('\\'); // not a comment line
    }
    for (int i = 0; i < 5; i++) {
      if (i > 0) {
        line.append(':');
      }
      for (char c : fields[i].toCharArray()) {
        if (c == ':' || c == '\\') {
          line.append('\\');
        }
        line.append(c);
      }
    }
    Optional<String> after = PgPassFile.find(prefix + "\n" + line, host, port, database, user);
    assertThat(after)
        .as("lookup with the line %s appended", line)
        .isEqualTo(before.isPresent() ? before : Optional.of(password));
  }
}
