// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.compress;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import io.jwalreceiver.SegmentName.ParsedWalFileName;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;
import net.jpountz.lz4.LZ4FrameInputStream;

/**
 * Reads a WAL file's uncompressed content, whatever {@code pg_receivewal} compressed it with: the
 * counterpart of {@link SegmentEncoder} for archived files on disk or in an object store.
 */
public final class SegmentDecoder {

  private static final int CHUNK = 64 * 1024;

  private SegmentDecoder() {}

  /**
   * The uncompressed content of a WAL file.
   *
   * @param raw the file's bytes as stored (closed with the result, or here on failure); buffer it
   *     when it is not
   * @param compression a {@link ParsedWalFileName} compression: {@code ""}, {@code gz}, {@code lz4}
   *     or {@code zst}
   * @return the decompressing stream ({@code raw} itself when uncompressed); lz4-java and zstd-jni
   *     report corrupt input as {@link IOException} or as their own unchecked exceptions
   * @throws IOException when the compression header cannot be read
   */
  public static InputStream open(InputStream raw, String compression) throws IOException {
    try {
      return switch (compression) {
        case ParsedWalFileName.GZIP -> new GZIPInputStream(raw, CHUNK);
        case ParsedWalFileName.LZ4 -> new LZ4FrameInputStream(raw);
        case ParsedWalFileName.ZSTD -> new ZstdInputStreamNoFinalizer(raw);
        default -> raw;
      };
    } catch (IOException | RuntimeException e) {
      raw.close();
      throw e;
    }
  }
}
