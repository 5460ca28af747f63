// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.upload;

import io.jwalreceiver.archive.store.DirectoryStore;
import io.jwalreceiver.archive.store.ObjectStore;
import io.jwalreceiver.archive.store.ObjectWriter;
import io.jwalreceiver.archive.store.StoreLocation;
import io.jwalreceiver.archive.store.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link DirectoryStore} that records the keys stored and refuses the keys it is told to, as a
 * store answering HTTP 503 would.
 */
final class TestStore implements ObjectStore {

  final DirectoryStore store;
  final List<String> puts = new CopyOnWriteArrayList<>();
  final Set<String> refused = ConcurrentHashMap.newKeySet();
  volatile boolean refuseAll;

  TestStore(Path directory) {
    store = new DirectoryStore(StoreLocation.parse(directory.toString()));
  }

  @Override
  public StoreLocation location() {
    return store.location();
  }

  @Override
  public StoredObject put(String key, Path file) throws IOException {
    if (refuseAll || refused.contains(key)) {
      throw new IOException("could not store \"" + describe(key) + "\": HTTP 503 SlowDown");
    }
    puts.add(key);
    return store.put(key, file);
  }

  @Override
  public StoredObject put(String key, byte[] content) throws IOException {
    puts.add(key);
    return store.put(key, content);
  }

  @Override
  public ObjectWriter create(String key) throws IOException {
    return store.create(key);
  }

  @Override
  public InputStream open(String key) throws IOException {
    return store.open(key);
  }

  @Override
  public Optional<StoredObject> stat(String key) throws IOException {
    return store.stat(key);
  }

  @Override
  public List<StoredObject> list(String keyPrefix) throws IOException {
    if (refuseAll) {
      throw new IOException("could not list \"" + describe(keyPrefix) + "\": HTTP 503 SlowDown");
    }
    return store.list(keyPrefix);
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    store.delete(keys);
  }

  @Override
  public void close() {}
}
