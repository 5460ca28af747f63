// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.jspecify.annotations.NullUnmarked;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

// Test code: asserts on results that may be null (a null fails the test) and passes null on
// purpose to probe the documented null handling, so NullAway does not check this class.
@NullUnmarked
class PgPassFileTest {

  private static final String DEFAULT_SOCKET_DIR = "/var/run/postgresql";

  @TempDir Path dir;

  private final List<String> warnings = new ArrayList<>();

  @BeforeEach
  void requirePosixPermissions() {
    assumeTrue(
        FileSystems.getDefault().supportedFileAttributeViews().contains("posix"),
        "needs a POSIX file system");
  }

  private Path passFile(String contents, String permissions) throws IOException {
    Path file = dir.resolve("pgpass");
    Files.writeString(file, contents, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(permissions));
    return file;
  }

  private Optional<String> lookup(Path file, String host, int port, String db, String user) {
    return PgPassFile.lookup(file, host, port, db, user, DEFAULT_SOCKET_DIR, warnings::add);
  }

  static Stream<Arguments> lines() {
    return Stream.of(
        arguments("h:5432:db:u:pw", "h", "pw"),
        arguments("*:*:*:*:pw", "h", "pw"),
        arguments("h:*:db:*:pw", "h", "pw"),
        arguments("h:5432:db:u:", "h", ""),
        arguments("h:5433:db:u:pw", "h", null),
        arguments("h:5432:otherdb:u:pw", "h", null),
        arguments("h:5432:db:other:pw", "h", null),
        arguments("other:5432:db:u:pw1\nh:5432:db:u:pw2", "h", "pw2"),
        // The first match wins, however specific the later lines are.
        arguments("h:*:*:*:first\nh:5432:db:u:second", "h", "first"),
        arguments("#h:5432:db:u:commented\nh:5432:db:u:real", "h", "real"),
        arguments("\n\nh:5432:db:u:pw\n", "h", "pw"),
        arguments("h:5432:db:u:pw\r\n", "h", "pw"),
        // Only a leading '#' makes a comment, and leading blanks are not trimmed.
        arguments(" h:5432:db:u:pw", "h", null),
        arguments("my\\:host:5432:db:u:pw", "my:host", "pw"),
        arguments("h\\\\x:5432:db:u:pw", "h\\x", "pw"),
        arguments("\\h:5432:db:u:pw", "h", "pw"),
        arguments("h:5432:db:u:p\\:w\\\\d", "h", "p:w\\d"),
        arguments("h:5432:db:u:pw:extra", "h", "pw"),
        // '*' is a wildcard only as a whole field.
        arguments("*x:5432:db:u:pw", "h", null),
        arguments("\\*:5432:db:u:pw", "h", null),
        arguments("\\*:5432:db:u:pw", "*", "pw"),
        arguments("hostname:5432:db:u:pw", "host", null),
        arguments("host:5432:db:u:pw", "hostname", null),
        arguments("h:5432:db", "h", null),
        arguments("h:5432:db:u", "h", null),
        arguments("localhost:5432:db:u:sockpw", "localhost", "sockpw"),
        arguments("h:5432:db:u:pässwörd", "h", "pässwörd"));
  }

  @ParameterizedTest
  @MethodSource("lines")
  void matchesLinesLikeLibpq(String contents, String host, String expected) {
    assertThat(PgPassFile.find(contents, host, "5432", "db", "u"))
        .isEqualTo(Optional.ofNullable(expected));
  }

  @Test
  void readsAPrivateFile() throws IOException {
    Path file = passFile("# comment\nh:5432:replication:rep:secret\n", "rw-------");
    assertThat(lookup(file, "h", 5432, "replication", "rep")).contains("secret");
    assertThat(lookup(file, "h", 5433, "replication", "rep")).isEmpty();
    assertThat(warnings).isEmpty();
  }

  @Test
  void readsAReadOnlyFile() throws IOException {
    Path file = passFile("*:*:*:*:secret\n", "r--------");
    assertThat(lookup(file, "h", 5432, "db", "u")).contains("secret");
  }

  @Test
  void looksUpTheDefaultSocketDirectoryAsLocalhost() throws IOException {
    Path file =
        passFile(
            "localhost:5432:db:u:local\n/tmp:5432:db:u:tmp\n/var/run/postgresql:5432:db:u:path\n",
            "rw-------");
    assertThat(lookup(file, DEFAULT_SOCKET_DIR, 5432, "db", "u")).contains("local");
    assertThat(lookup(file, null, 5432, "db", "u")).contains("local");
    assertThat(lookup(file, "", 5432, "db", "u")).contains("local");
    assertThat(lookup(file, "/tmp", 5432, "db", "u")).contains("tmp");
    assertThat(PgPassFile.lookup(file, "/tmp", 5432, "db", "u", "/tmp", warnings::add))
        .contains("local");
  }

  @Test
  void needsADatabaseAndAUser() throws IOException {
    Path file = passFile("*:*:*:*:secret\n", "rw-------");
    assertThat(lookup(file, "h", 5432, "", "u")).isEmpty();
    assertThat(lookup(file, "h", 5432, null, "u")).isEmpty();
    assertThat(lookup(file, "h", 5432, "db", "")).isEmpty();
    assertThat(lookup(file, "h", 5432, "db", null)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "rw------x"})
  void ignoresAFileOthersCanAccess(String permissions) throws IOException {
    Path file = passFile("*:*:*:*:secret\n", permissions);
    assertThat(lookup(file, "h", 5432, "db", "u")).isEmpty();
    assertThat(warnings)
        .containsExactly(
            "WARNING: password file \""
                + file
                + "\" has group or world access; permissions should be u=rw (0600) or less");
  }

  @Test
  void treatsAMissingFileAsEmptyWithoutWarning() {
    assertThat(lookup(dir.resolve("absent"), "h", 5432, "db", "u")).isEmpty();
    assertThat(warnings).isEmpty();
  }

  @Test
  void ignoresADirectoryWithAWarning() {
    assertThat(lookup(dir, "h", 5432, "db", "u")).isEmpty();
    assertThat(warnings)
        .containsExactly("WARNING: password file \"" + dir + "\" is not a plain file");
  }
}
