// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A flat key space of immutable objects: an S3 bucket under a prefix, or a local directory. Keys
 * are relative to the location's prefix and use {@code /} as separator. Every write is atomic: an
 * object is either absent or complete under its key, never partly there.
 */
public interface ObjectStore extends AutoCloseable {

  /** Where this store is, as the user wrote it. */
  StoreLocation location();

  /**
   * Stores a file under a key, replacing what was there. The store checks the bytes it received
   * against the file's MD5 (S3 {@code Content-MD5}) and keeps the file's SHA-256 with the object.
   *
   * @return the object as stored
   */
  StoredObject put(String key, Path file) throws IOException;

  /** Stores a small object (a history file, a marker) under a key, replacing what was there. */
  StoredObject put(String key, byte[] content) throws IOException;

  /** Starts a streamed object; see {@link ObjectWriter}. */
  ObjectWriter create(String key) throws IOException;

  /**
   * Opens an object for reading.
   *
   * @throws NoSuchFileException when there is no object under the key
   */
  InputStream open(String key) throws IOException;

  /** The object under a key, or empty. */
  Optional<StoredObject> stat(String key) throws IOException;

  /** Every object whose key starts with the given string, in key order. */
  List<StoredObject> list(String keyPrefix) throws IOException;

  /** Removes objects; keys that are absent are ignored. */
  void delete(Collection<String> keys) throws IOException;

  /** The location of a key, for messages. */
  default String describe(String key) {
    return location().describe(key);
  }

  /** Releases connections. */
  @Override
  void close();
}
