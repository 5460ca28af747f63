// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;

/**
 * A streamed S3 object: bytes collect in one part-sized buffer; a full buffer is uploaded as the
 * next part of a multipart upload (created with the first part), each part with its Content-MD5. An
 * object smaller than one part is stored with a single PUT at commit. Memory: one buffer.
 *
 * <p>Once an upload failed (after the SDK's retries), the writer is broken: the bytes of the failed
 * write may be partly consumed, so every later write and the commit fail too, and only {@link
 * #close} is left, which aborts the multipart upload. An object is thus never committed with bytes
 * missing.
 */
final class S3ObjectWriter implements ObjectWriter {

  private final S3Store store;
  private final String key;
  private final byte[] buffer;
  private final List<CompletedPart> parts = new ArrayList<>();
  private int filled;
  private long written;
  private @Nullable String uploadId;
  private boolean open = true;
  private @Nullable IOException failed;

  S3ObjectWriter(S3Store store, String key, int partSize) {
    this.store = store;
    this.key = key;
    this.buffer = new byte[partSize];
  }

  private void checkUsable() throws IOException {
    if (!open) {
      throw new IOException("object writer for \"" + store.describe(key) + "\" is closed");
    }
    IOException cause = failed;
    if (cause != null) {
      throw new IOException(
          "object writer for \"" + store.describe(key) + "\" failed earlier: " + cause.getMessage(),
          cause);
    }
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    checkUsable();
    int n = src.remaining();
    while (src.hasRemaining()) {
      int chunk = Math.min(src.remaining(), buffer.length - filled);
      src.get(buffer, filled, chunk);
      filled += chunk;
      if (filled == buffer.length) {
        try {
          uploadPart();
        } catch (IOException e) {
          failed = e;
          throw e;
        }
      }
    }
    written += n;
    return n;
  }

  private void uploadPart() throws IOException {
    String fullKey = store.location().prefix() + key;
    String id = uploadId;
    if (id == null) {
      id =
          store.call(
              "start the upload of",
              key,
              () ->
                  store
                      .client()
                      .createMultipartUpload(r -> r.bucket(store.bucket()).key(fullKey))
                      .uploadId());
      uploadId = id;
    }
    int number = parts.size() + 1;
    int length = filled;
    Digests digests = Digests.of(buffer, length);
    String upload = id;
    String etag =
        store.call(
            "upload part " + number + " of",
            key,
            () ->
                store
                    .client()
                    .uploadPart(
                        r ->
                            r.bucket(store.bucket())
                                .key(fullKey)
                                .uploadId(upload)
                                .partNumber(number)
                                .contentLength((long) length)
                                .contentMD5(digests.md5Base64())
                                .overrideConfiguration(store.uploadTimeout(length)),
                        body(length))
                    .eTag());
    parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
    filled = 0;
  }

  private RequestBody body(int length) {
    return RequestBody.fromContentProvider(
        () -> new ByteArrayInputStream(buffer, 0, length), length, "application/octet-stream");
  }

  @Override
  public void commit() throws IOException {
    checkUsable();
    try {
      store();
    } catch (IOException e) {
      failed = e;
      throw e;
    }
    open = false;
  }

  private void store() throws IOException {
    String fullKey = store.location().prefix() + key;
    if (uploadId == null) {
      int length = filled;
      Digests digests = Digests.of(buffer, length);
      store.call(
          "store",
          key,
          () ->
              store
                  .client()
                  .putObject(
                      r ->
                          r.bucket(store.bucket())
                              .key(fullKey)
                              .contentLength((long) length)
                              .contentMD5(digests.md5Base64())
                              .overrideConfiguration(store.uploadTimeout(length)),
                      body(length)));
    } else {
      if (filled > 0) {
        uploadPart();
      }
      String id = uploadId;
      store.call(
          "complete the upload of",
          key,
          () ->
              store
                  .client()
                  .completeMultipartUpload(
                      r ->
                          r.bucket(store.bucket())
                              .key(fullKey)
                              .uploadId(id)
                              .multipartUpload(m -> m.parts(parts))));
      uploadId = null;
    }
  }

  @Override
  public long written() {
    return written;
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() {
    open = false;
    String id = uploadId;
    if (id == null) {
      return;
    }
    uploadId = null;
    try {
      store
          .client()
          .abortMultipartUpload(
              r -> r.bucket(store.bucket()).key(store.location().prefix() + key).uploadId(id));
    } catch (RuntimeException e) {
      // The store expires abandoned uploads (a lifecycle rule); nothing is visible under the key.
    }
  }
}
