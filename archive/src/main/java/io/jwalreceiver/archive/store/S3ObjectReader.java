// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * An S3 object being read: the body of one GET; when the connection breaks mid-object, a ranged GET
 * from the position reached, conditional on the same ETag and checked against it (an object
 * replaced meanwhile is an error, never a splice of two versions), at most {@value #MAX_RESUMES}
 * times without progress in between. A body that ends before the object's length is a broken
 * connection too.
 */
final class S3ObjectReader extends InputStream {

  static final int MAX_RESUMES = 3;

  private final S3Store store;
  private final String key;
  private final @Nullable String eTag;
  private final long length;
  private ResponseInputStream<GetObjectResponse> body;
  private long position;
  private int failures;
  private boolean closed;

  S3ObjectReader(S3Store store, String key, ResponseInputStream<GetObjectResponse> body) {
    this.store = store;
    this.key = key;
    this.body = body;
    GetObjectResponse response = body.response();
    this.eTag = response.eTag();
    Long contentLength = response.contentLength();
    this.length = contentLength == null ? -1 : contentLength;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("reader of \"" + store.describe(key) + "\" is closed");
    }
    if (len == 0) {
      return 0;
    }
    while (true) {
      Exception broken;
      try {
        int n = body.read(b, off, len);
        if (n > 0) {
          position += n;
          failures = 0;
          return n;
        }
        if (n < 0 && (length < 0 || position >= length)) {
          return -1;
        }
        broken = new IOException("the body ended at byte " + position + " of " + length);
      } catch (IOException | SdkException e) {
        broken = e;
      }
      resume(broken);
    }
  }

  private void resume(Exception broken) throws IOException {
    body.abort();
    failures++;
    if (failures > MAX_RESUMES) {
      throw new IOException(
          "could not read \""
              + store.describe(key)
              + "\": the connection broke at byte "
              + position
              + " of "
              + length
              + " "
              + failures
              + " times in a row: "
              + String.valueOf(broken.getMessage()).replace('\n', ' '),
          broken);
    }
    try {
      Thread.sleep(100L << failures);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading \"" + store.describe(key) + "\"", e);
    }
    ResponseInputStream<GetObjectResponse> next;
    try {
      next = store.get(key, position, eTag);
    } catch (NoSuchFileException e) {
      throw new IOException(
          "could not read \"" + store.describe(key) + "\": it was removed while it was read", e);
    }
    // Not every S3-compatible store honours If-Match: the ETag is checked here too.
    String now = next.response().eTag();
    if (eTag != null && !eTag.equals(now)) {
      next.abort();
      throw new IOException(
          "could not read \""
              + store.describe(key)
              + "\": it was replaced while it was read (ETag "
              + eTag
              + ", now "
              + now
              + ")");
    }
    body = next;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (length >= 0 && position >= length) {
      try {
        body.close();
        return;
      } catch (IOException e) {
        // Fall through: the connection is dropped instead.
      }
    }
    // Not read to the end: closing would read the rest to reuse the connection.
    body.abort();
  }
}
