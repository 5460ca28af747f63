// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.manifest;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/** The error values and texts shared by the parser and the verifier. */
final class ManifestErrors {

  private ManifestErrors() {}

  /** {@code could not parse backup manifest: <what>}, as pg_verifybackup words parse failures. */
  static PgException parseFailure(String what) {
    return new PgException(SqlState.DATA_CORRUPTED, "could not parse backup manifest: " + what);
  }

  /** A manifest error worded without the {@code could not parse} prefix. */
  static PgException corrupted(String message) {
    return new PgException(SqlState.DATA_CORRUPTED, message);
  }

  /** {@code <context>: <strerror-like reason>}, the %m of the C tools. */
  static PgException io(String context, IOException e) {
    return new PgException(SqlState.IO_ERROR, context + ": " + reason(e), e);
  }

  /** The reason of {@code e} as {@code strerror} would phrase the common cases. */
  static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "No such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return "Permission denied";
    }
    if (e instanceof NotDirectoryException) {
      return "Not a directory";
    }
    if (e instanceof FileSystemLoopException) {
      return "Too many levels of symbolic links";
    }
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
