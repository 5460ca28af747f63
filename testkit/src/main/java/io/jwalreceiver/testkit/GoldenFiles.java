// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HexFormat;

/**
 * Golden bytes for tests: files captured from real servers and tools, kept under a module's {@code
 * src/test/resources/golden/}, and bytes written as hex digits in a test's source.
 */
public final class GoldenFiles {

  private GoldenFiles() {}

  /**
   * The bytes of one golden file, a class-path resource under {@code /golden/}.
   *
   * @param name the path below {@code golden/}, for example {@code manifest/backup_manifest}
   * @return the file's bytes
   * @throws IllegalArgumentException if there is no such resource
   * @throws UncheckedIOException if it cannot be read
   */
  public static byte[] load(String name) {
    try (InputStream in = GoldenFiles.class.getResourceAsStream("/golden/" + name)) {
      if (in == null) {
        throw new IllegalArgumentException("no golden file " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Bytes from hex digits; white space between them is ignored ({@code "00 00 00 08"}).
   *
   * @param digits pairs of hex digits
   * @return the bytes
   * @throws IllegalArgumentException on an odd count or a character that is not a hex digit
   */
  public static byte[] hex(String digits) {
    return HexFormat.of().parseHex(digits.replaceAll("\\s+", ""));
  }
}
