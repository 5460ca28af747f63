// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.NullUnmarked;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Service files (pg_service.conf) as libpq 18 reads them, and how {@link ConnInfo#resolve} looks
 * services up: user file before system file, explicit values over the service's, the service's over
 * the environment.
 */
// Test code: asserts on results that may be null (a null fails the test) and passes null on
// purpose to probe the documented null handling, so NullAway does not check this class.
@NullUnmarked
class ServiceFileTest {

  @TempDir Path dir;

  private Path write(String name, String contents) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, contents, StandardCharsets.UTF_8);
    return file;
  }

  private static ServiceFile.Result read(Path file, String service) {
    return ServiceFile.read(file, service, ConnInfo.KEYWORDS);
  }

  private static void assertFails(Runnable call, String message) {
    assertThatThrownBy(call::run)
        .isInstanceOf(PgException.class)
        .hasMessage(message)
        .satisfies(
            e -> assertThat(((PgException) e).sqlState()).isEqualTo(SqlState.CONNECTION_UNABLE));
  }

  @Test
  void readsTheNamedSectionOnly() throws IOException {
    Path file =
        write(
            "s.conf",
            "# comment\n"
                + "[other]\nhost=elsewhere\n\n"
                + "  [mine]  \n"
                + "\thost=db.example \n"
                + "   # indented comment\n"
                + "port=6543\n"
                + "port=7000\n"
                + "application_name=a b=c\n"
                + "[next]\nbogus\n");
    ServiceFile.Result r = read(file, "mine");
    assertThat(r.found()).isTrue();
    // First value wins; the value runs to the end of the line, '=' included; no trimming inside.
    assertThat(r.values())
        .containsExactly(
            Map.entry("host", "db.example"),
            Map.entry("port", "6543"),
            Map.entry("application_name", "a b=c"));
    assertThat(read(file, "absent").found()).isFalse();
    // "[mine]" does not name "min", and "[mine] trailing" still names "mine" (libpq's strncmp).
    assertThat(read(file, "min").found()).isFalse();
    assertThat(read(write("t.conf", "[mine] trailing\nport=1\n"), "mine").values())
        .containsExactly(Map.entry("port", "1"));
  }

  @Test
  void reportsLibpqErrors() throws IOException {
    Path missing = dir.resolve("missing.conf");
    assertFails(() -> read(missing, "s"), "service file \"" + missing + "\" not found");

    Path noEquals = write("a.conf", "[s]\nhost=h\nhost\n");
    assertFails(
        () -> read(noEquals, "s"), "syntax error in service file \"" + noEquals + "\", line 3");

    // Keywords are taken byte for byte: "host " is no keyword.
    Path spaced = write("b.conf", "[s]\nhost = h\n");
    assertFails(() -> read(spaced, "s"), "syntax error in service file \"" + spaced + "\", line 2");

    Path unknown = write("c.conf", "\n[s]\nbogus=1\n");
    assertFails(
        () -> read(unknown, "s"), "syntax error in service file \"" + unknown + "\", line 3");

    for (String setting : List.of("service=t", "servicefile=/x")) {
      String keyword = setting.substring(0, setting.indexOf('='));
      Path nested = write(keyword + ".conf", "[s]\n" + setting + "\n");
      assertFails(
          () -> read(nested, "s"),
          "nested \""
              + keyword
              + "\" specifications not supported in service file \""
              + nested
              + "\", line 2");
    }

    // Errors inside other sections are not seen.
    assertThat(read(write("f.conf", "[t]\nbogus\n[s]\nport=1\n"), "s").found()).isTrue();
  }

  @Test
  void limitsLinesAsLibpqsFgetsBuffer() throws IOException {
    // 1021 characters and a newline fit libpq's 1024-byte buffer; 1022 and a newline do not.
    String fits = "[s]\napplication_name=" + "x".repeat(1021 - 17) + "\n";
    assertThat(read(write("ok.conf", fits), "s").values().get("application_name")).hasSize(1004);
    Path tooLong = write("long.conf", "[s]\napplication_name=" + "x".repeat(1022 - 17) + "\n");
    assertFails(() -> read(tooLong, "s"), "line 2 too long in service file \"" + tooLong + "\"");
    // Checked on every line, in any section, as libpq does.
    Path longComment = write("c.conf", "#" + "x".repeat(2000) + "\n[s]\n");
    assertFails(
        () -> read(longComment, "s"), "line 1 too long in service file \"" + longComment + "\"");
  }

  @Test
  void refusesHugeFiles() throws IOException {
    Path huge = dir.resolve("huge.conf");
    StringBuilder sb = new StringBuilder();
    while (sb.length() <= ServiceFile.MAX_FILE_BYTES) {
      sb.append("# padding padding padding padding padding padding padding\n");
    }
    Files.writeString(huge, sb);
    assertFails(
        () -> read(huge, "s"),
        "service file \"" + huge + "\" is larger than " + ServiceFile.MAX_FILE_BYTES + " bytes");
  }

  // ---------------------------------------------------------------------------------------------
  // Resolution

  private ConnectionConfig resolve(String conninfo, String host, Map<String, String> env) {
    return ConnInfo.resolve(
        conninfo, host, null, null, null, env, "osuser", dir.resolve("home"), "x", p -> false);
  }

  private Map<String, String> env(String... kv) {
    Map<String, String> env = new HashMap<>();
    // Never the machine's /etc/postgresql-common.
    env.put("PGSYSCONFDIR", dir.resolve("etc").toString());
    for (int i = 0; i < kv.length; i += 2) {
      env.put(kv[i], kv[i + 1]);
    }
    return env;
  }

  @Test
  void resolvesAServiceWithLibpqsPrecedence() throws IOException {
    Path file = write("svc.conf", "[db]\nhost=svchost\nport=6000\nuser=svcuser\nsslmode=require\n");
    // The service's values: over the environment, under the conninfo and the command line.
    ConnectionConfig cfg =
        resolve(
            "service=db port=7000",
            null,
            env(
                "PGSERVICEFILE",
                file.toString(),
                "PGHOST",
                "envhost",
                "PGUSER",
                "envuser",
                "PGSSLMODE",
                "disable"));
    assertThat(cfg.host()).isEqualTo("svchost");
    assertThat(cfg.port()).isEqualTo(7000);
    assertThat(cfg.user()).isEqualTo("svcuser");
    assertThat(cfg.sslMode()).isEqualTo(SslMode.REQUIRE);
    assertThat(resolve("service=db", "cmdhost", env("PGSERVICEFILE", file.toString())).host())
        .isEqualTo("cmdhost");
    // PGSERVICE names the service when the conninfo does not; servicefile= names the file.
    assertThat(resolve(null, null, env("PGSERVICE", "db", "PGSERVICEFILE", file.toString())).port())
        .isEqualTo(6000);
    assertThat(resolve("service=db servicefile=" + file, null, env()).port()).isEqualTo(6000);
  }

  @Test
  void looksInTheUserFileThenTheSystemFile() throws IOException {
    Files.createDirectories(dir.resolve("home"));
    Files.createDirectories(dir.resolve("etc"));
    Files.writeString(dir.resolve("home/.pg_service.conf"), "[user]\nport=1111\n");
    Files.writeString(dir.resolve("etc/pg_service.conf"), "[user]\nport=2222\n[sys]\nport=3333\n");
    assertThat(resolve("service=user", null, env()).port()).isEqualTo(1111);
    assertThat(resolve("service=sys", null, env()).port()).isEqualTo(3333);
    assertFails(
        () -> resolve("service=nowhere", null, env()),
        "definition of service \"nowhere\" not found");
  }

  @Test
  void reportsMissingServicesAndFiles() {
    assertFails(() -> resolve("service=x", null, env()), "definition of service \"x\" not found");
    assertFails(
        () -> resolve(null, null, env("PGSERVICE", "x")), "definition of service \"x\" not found");
    Path missing = dir.resolve("nope.conf");
    assertFails(
        () -> resolve("service=x", null, env("PGSERVICEFILE", missing.toString())),
        "service file \"" + missing + "\" not found");
    // Without a service, no file is read at all.
    assertThat(resolve(null, null, env("PGSERVICEFILE", missing.toString())).port())
        .isEqualTo(5432);
  }

  @Test
  void valuesAreUtf8() throws IOException {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("application_name", "caf\u00e9");
    Path file = write("u.conf", "[d\u00e9j\u00e0]\napplication_name=caf\u00e9\n");
    assertThat(read(file, "d\u00e9j\u00e0").values()).isEqualTo(expected);
  }
}
