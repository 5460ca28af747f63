// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.stream;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.protocol.Wire;
import io.jwalreceiver.session.CopyOutStream;
import io.jwalreceiver.session.QueryResult;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Turns both server shapes of the BASE_BACKUP archive stream into {@link BackupListener} events
 * (protocol-notes §5.2 and §5.3).
 *
 * <pre>
 * 13/14: per tablespace row, in order:  CopyOutResponse, CopyData(raw tar)*, CopyDone
 *        then, with a manifest:          CopyOutResponse, CopyData(manifest)*, CopyDone
 * 15+:   one CopyOutResponse, then CopyData messages that start with a type byte:
 *          'n' String archive_name, String tablespace_path   new archive
 *          'd' Byte[n]                                        archive or manifest data
 *          'p' Int64 bytes_done                               progress
 *          'm'                                                the manifest follows
 *        then CopyDone
 * </pre>
 */
public final class BackupStreamDecoder {

  private BackupStreamDecoder() {}

  /**
   * Reads every archive (and the manifest) of the stream into the listener. The caller has read the
   * start position and the tablespace list; this stops before the end-position result set.
   *
   * @param tablespaces the tablespace result set (spcoid, spclocation, size)
   * @param manifest whether a manifest was requested (13/14 send it as its own COPY phase)
   */
  public static void decode(
      CopyOutStream stream,
      int serverVersionNum,
      QueryResult tablespaces,
      boolean manifest,
      BackupListener listener) {
    if (serverVersionNum >= 150000) {
      decodeSingleCopy(stream, listener);
    } else {
      decodePerArchive(stream, tablespaces.rows(), manifest, listener);
    }
  }

  private static void decodePerArchive(
      CopyOutStream stream, List<List<String>> tablespaces, boolean manifest, BackupListener l) {
    for (List<String> row : tablespaces) {
      String oid = row.get(0);
      String location = row.get(1);
      String name = oid == null ? "base.tar" : oid + ".tar";
      // The tar format stores it under that name: no path may hide in the server's oid.
      checkArchiveName(name);
      stream.nextCopy();
      l.archiveStart(name, location == null ? "" : location, false);
      ByteBuffer data;
      while ((data = stream.nextCopyData()) != null) {
        l.archiveData(data);
      }
      l.archiveEnd();
    }
    if (manifest && stream.peek() == CopyOutStream.Next.COPY) {
      stream.nextCopy();
      l.manifestStart();
      ByteBuffer data;
      while ((data = stream.nextCopyData()) != null) {
        l.manifestData(data);
      }
      l.manifestEnd();
    }
  }

  private static void decodeSingleCopy(CopyOutStream stream, BackupListener l) {
    stream.nextCopy();
    boolean inArchive = false;
    boolean inManifest = false;
    ByteBuffer msg;
    while ((msg = stream.nextCopyData()) != null) {
      if (!msg.hasRemaining()) {
        throw malformed("empty COPY message");
      }
      byte type = msg.get();
      switch (type) {
        case 'n' -> {
          if (inManifest) {
            throw malformed("archives must precede manifest");
          }
          String name = Wire.cString(msg);
          String path = Wire.cString(msg);
          if (msg.hasRemaining()) {
            throw malformed("malformed COPY message of type " + type + ", length " + msg.limit());
          }
          checkArchiveName(name);
          if (inArchive) {
            l.archiveEnd();
          }
          l.archiveStart(name, path, true);
          inArchive = true;
        }
        case 'd' -> {
          if (inManifest) {
            l.manifestData(msg);
          } else if (inArchive) {
            l.archiveData(msg);
          } else {
            throw malformed("unexpected payload data");
          }
        }
        case 'p' -> {
          if (msg.remaining() != 8) {
            throw malformed(
                "malformed COPY message of type " + type + ", length " + (msg.remaining() + 1));
          }
          l.progress(msg.getLong());
        }
        case 'm' -> {
          if (inManifest) {
            throw malformed("duplicate manifest");
          }
          if (inArchive) {
            l.archiveEnd();
            inArchive = false;
          }
          l.manifestStart();
          inManifest = true;
        }
        default ->
            throw malformed(
                "malformed COPY message of type " + type + ", length " + (msg.remaining() + 1));
      }
    }
    if (inArchive) {
      l.archiveEnd();
    }
    if (inManifest) {
      l.manifestEnd();
    }
  }

  /** pg_basebackup refuses names that could escape the target directory. */
  static void checkArchiveName(String name) {
    if (name.isEmpty() || name.startsWith(".") || name.contains("/") || name.contains("\\")) {
      throw malformed("invalid archive name: \"" + name + "\"");
    }
  }

  private static PgException malformed(String message) {
    return new PgException(SqlState.PROTOCOL_VIOLATION, message);
  }
}
