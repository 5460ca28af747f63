// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.jwalreceiver.basebackup.manifest.ChecksumAlgorithm;
import io.jwalreceiver.basebackup.manifest.ManifestChecksum;
import io.jwalreceiver.basebackup.tar.TarHeader;
import io.jwalreceiver.basebackup.tar.TarWriter;
import io.jwalreceiver.testkit.ScriptedBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code basebackup} against a {@link ScriptedBackend} that sends a PostgreSQL 15 backup of its
 * choosing: a well-formed one is extracted and checked; one whose tar stream plants symbolic links
 * to write outside the target, or whose manifest never ends, fails with one error line and exit 1,
 * nothing outside the target changes, and the target is removed.
 */
class HostileBackupServerTest {

  private static final Duration HANG_GUARD = Duration.ofSeconds(60);

  @TempDir Path tmp;
  private Path victim;

  @BeforeEach
  void victim() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("victim"));
    victim = dir.resolve("file");
    Files.writeString(victim, "precious");
    Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-------"));
  }

  /** A tar archive of the members {@code members} writes. */
  static byte[] tar(Consumer<TarWriter> members) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    TarWriter w = new TarWriter(out, "base.tar");
    members.accept(w);
    w.finish();
    return out.toByteArray();
  }

  static void file(TarWriter w, String name, byte[] content) {
    w.writeEntry(
        TarHeader.regularFile(name, content.length, 0600, 0, 0, 0), ByteBuffer.wrap(content));
  }

  static void link(TarWriter w, String name, String target) {
    w.writeEntry(
        new TarHeader(name, 0777, 0, 0, 0, 0, TarHeader.SYMLINK, target), ByteBuffer.allocate(0));
  }

  /** A version 1 manifest of these files (CRC-32C), as a 15 server writes one. */
  static byte[] manifest(Map<String, byte[]> files) {
    StringBuilder m =
        new StringBuilder("{ \"PostgreSQL-Backup-Manifest-Version\": 1,\n\"Files\": [");
    List<String> entries = new ArrayList<>();
    for (Map.Entry<String, byte[]> f : files.entrySet()) {
      ManifestChecksum c = ManifestChecksum.create(ChecksumAlgorithm.CRC32C);
      c.update(f.getValue(), 0, f.getValue().length);
      entries.add(
          "\n{ \"Path\": \""
              + f.getKey()
              + "\", \"Size\": "
              + f.getValue().length
              + ", \"Last-Modified\": \"2026-12-06 12:00:00 GMT\", \"Checksum-Algorithm\": \"CRC32C\","
              + " \"Checksum\": \""
              + c.finishHex()
              + "\" }");
    }
    m.append(String.join(",", entries))
        .append(
            " ],\n\"WAL-Ranges\": [\n{ \"Timeline\": 1,"
                + " \"Start-LSN\": \"0/3000028\", \"End-LSN\": \"0/3000100\" }\n],\n");
    byte[] body = m.toString().getBytes(StandardCharsets.UTF_8);
    return (m
            + "\"Manifest-Checksum\": \""
            + ManifestChecksum.hex(ManifestChecksum.sha256(body, 0, body.length))
            + "\"}\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  static Map<String, byte[]> cluster() {
    Map<String, byte[]> files = new LinkedHashMap<>();
    files.put("PG_VERSION", "15\n".getBytes(StandardCharsets.UTF_8));
    files.put("backup_label", "START WAL LOCATION: 0/3000028\n".getBytes(StandardCharsets.UTF_8));
    return files;
  }

  /** Runs {@code basebackup -D <tmp>/backup -X none} plus {@code more}; exit code and stderr. */
  private Object[] basebackup(ScriptedBackend server, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "basebackup", "-D", tmp.resolve("backup").toString(), "-X", "none", "--no-sync"));
    args.addAll(List.of(more));
    FaultKit.Run r =
        assertTimeoutPreemptively(
            HANG_GUARD, () -> FaultKit.cli(env(server), args.toArray(String[]::new)));
    return new Object[] {r.exitCode(), r.err()};
  }

  /** The environment of a CLI run against {@code server}: no TLS, user fake. */
  static Map<String, String> env(ScriptedBackend server) {
    return env(server.port());
  }

  /** The environment of a CLI run against a scripted server on {@code port}: no TLS, user fake. */
  static Map<String, String> env(int port) {
    return Map.of(
        "PGHOST",
        "127.0.0.1",
        "PGPORT",
        Integer.toString(port),
        "PGUSER",
        "fake",
        "PGSSLMODE",
        "disable",
        "PGCONNECT_TIMEOUT",
        "5");
  }

  private static ScriptedBackend serving(byte[] baseTar, byte[] manifest) throws IOException {
    return new ScriptedBackend()
        .on(
            "BASE_BACKUP",
            (command, out) -> {
              var w =
                  new ScriptedBackend.BaseBackupWriter(out)
                      .begin()
                      .archive("base.tar", "")
                      .data(baseTar);
              if (manifest != null) {
                w.manifest().data(manifest);
              }
              w.end();
            })
        .start();
  }

  private void assertRefused(Object[] run, String message) throws IOException {
    String err = (String) run[1];
    assertThat(run[0]).as(err).isEqualTo(1);
    assertThat(err).isEqualTo("jwalreceiver: error: " + message + "\n");
    assertThat(Files.readString(victim)).isEqualTo("precious");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)))
        .isEqualTo("rw-------");
    try (var s = Files.list(victim.getParent())) {
      assertThat(s).containsExactly(victim);
    }
    assertThat(tmp.resolve("backup")).doesNotExist();
  }

  @Test
  void aWellFormedBackupIsExtractedAndChecked() throws Exception {
    Map<String, byte[]> files = cluster();
    byte[] base = tar(w -> files.forEach((n, c) -> file(w, n, c)));
    byte[] manifest = manifest(files);
    try (ScriptedBackend server = serving(base, manifest)) {
      Object[] run = basebackup(server);
      assertThat(run[0]).as((String) run[1]).isEqualTo(0);
      assertThat(tmp.resolve("backup/PG_VERSION")).hasContent("15\n");
      assertThat(tmp.resolve("backup/backup_manifest")).hasBinaryContent(manifest);
    }
  }

  @Test
  void aRelativeLinkOutOfTheTargetIsRefused() throws Exception {
    byte[] base =
        tar(
            w -> {
              link(w, "rel", "../victim");
              file(w, "rel/planted", new byte[3]);
            });
    try (ScriptedBackend server = serving(base, null)) {
      assertRefused(
          basebackup(server, "--no-manifest"), "link target has unsafe path name: \"../victim\"");
    }
  }

  @Test
  void aFileOverAnAbsoluteLinkIsRefusedEvenWithoutAManifest() throws Exception {
    byte[] base =
        tar(
            w -> {
              link(w, "abs", victim.toString());
              file(w, "abs", "overwritten".getBytes(StandardCharsets.UTF_8));
            });
    try (ScriptedBackend server = serving(base, null)) {
      assertRefused(
          basebackup(server, "--no-manifest"),
          "refusing to extract archive member \"abs\" over symbolic link \""
              + tmp.resolve("backup/abs")
              + "\"");
    }
  }

  @Test
  void aLinkedPostgresqlAutoConfIsNotWrittenByMinusR() throws Exception {
    byte[] base = tar(w -> link(w, "postgresql.auto.conf", victim.toString()));
    try (ScriptedBackend server = serving(base, null)) {
      assertRefused(
          basebackup(server, "--no-manifest", "-R"),
          "refusing to write recovery configuration through symbolic link \""
              + tmp.resolve("backup/postgresql.auto.conf")
              + "\"");
    }
  }

  @Test
  void aManifestThatNeverEndsIsRefused() throws Exception {
    Map<String, byte[]> files = cluster();
    byte[] base = tar(w -> files.forEach((n, c) -> file(w, n, c)));
    try (ScriptedBackend server =
        new ScriptedBackend()
            .on(
                "BASE_BACKUP",
                (command, out) -> {
                  var w =
                      new ScriptedBackend.BaseBackupWriter(out)
                          .begin()
                          .archive("base.tar", "")
                          .data(base)
                          .manifest()
                          .data(
                              "{ \"PostgreSQL-Backup-Manifest-Version\": 1, \"Files\": [\n"
                                  .getBytes(StandardCharsets.UTF_8));
                  byte[] blanks = " \n".repeat(16 * 1024).getBytes(StandardCharsets.UTF_8);
                  while (true) {
                    w.data(blanks); // until the client hangs up
                  }
                })
            .start()) {
      long bound = (1 << 20) + 4096L * files.size();
      assertRefused(
          basebackup(server),
          "could not parse backup manifest: manifest is larger than " + bound + " bytes");
    }
  }
}
