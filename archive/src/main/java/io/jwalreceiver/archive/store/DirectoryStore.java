// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A local directory as an object store: a key is a relative path. Writes go to a temporary file
 * beside the target ({@code .NAME.TMP_SUFFIX}), are fsynced, renamed into place and the directory
 * fsynced, so a crash leaves either the old state or the complete object; listings skip those
 * temporary files.
 */
public final class DirectoryStore implements ObjectStore {

  /** The suffix of the temporary files of unfinished writes. */
  static final String TMP_SUFFIX = ".jwalreceiver-tmp";

  private final StoreLocation location;
  private final Path root;

  /** A store over a directory, which need not exist until the first write. */
  public DirectoryStore(StoreLocation location) {
    Path directory = location.directory();
    if (directory == null) {
      throw new IllegalArgumentException("not a local directory: " + location);
    }
    this.location = location;
    this.root = directory;
  }

  @Override
  public StoreLocation location() {
    return location;
  }

  @Override
  public StoredObject put(String key, Path file) throws IOException {
    Path target = file(key);
    Path tmp = temporary(target);
    try {
      Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
      String sha256 = Digests.of(tmp).sha256Hex();
      publish(tmp, target);
      StoredObject stored = stat(target, key);
      return new StoredObject(key, stored.size(), sha256, stored.lastModified());
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public StoredObject put(String key, byte[] content) throws IOException {
    try (ObjectWriter writer = create(key)) {
      writer.write(ByteBuffer.wrap(content));
      writer.commit();
    }
    return stat(file(key), key);
  }

  @Override
  public ObjectWriter create(String key) throws IOException {
    Path target = file(key);
    Path tmp = temporary(target);
    FileChannel channel =
        FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE);
    return new ObjectWriter() {
      private long written;
      private boolean open = true;

      @Override
      public int write(ByteBuffer src) throws IOException {
        int n = 0;
        while (src.hasRemaining()) {
          n += channel.write(src);
        }
        written += n;
        return n;
      }

      @Override
      public boolean isOpen() {
        return open;
      }

      @Override
      public long written() {
        return written;
      }

      @Override
      public void commit() throws IOException {
        channel.force(true);
        channel.close();
        open = false;
        publish(tmp, target);
      }

      @Override
      public void close() {
        open = false;
        try {
          channel.close();
          Files.deleteIfExists(tmp);
        } catch (IOException e) {
          // Nothing under the key: a leftover temporary file is skipped by listings.
        }
      }
    };
  }

  @Override
  public InputStream open(String key) throws IOException {
    Path file = file(key);
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString());
    }
    return Files.newInputStream(file);
  }

  @Override
  public Optional<StoredObject> stat(String key) throws IOException {
    Path file = file(key);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    return Optional.of(stat(file, key));
  }

  @Override
  public List<StoredObject> list(String keyPrefix) throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<StoredObject> objects = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : (Iterable<Path>) files::iterator) {
        String key = key(file);
        if (key.startsWith(keyPrefix)
            && !file.getFileName().toString().endsWith(TMP_SUFFIX)
            && Files.isRegularFile(file)) {
          objects.add(stat(file, key));
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    objects.sort(Comparator.comparing(StoredObject::key));
    return objects;
  }

  @Override
  public void delete(Collection<String> keys) throws IOException {
    for (String key : keys) {
      Files.deleteIfExists(file(key));
    }
  }

  @Override
  public void close() {}

  private Path file(String key) {
    if (key.isEmpty()
        || key.startsWith("/")
        || key.endsWith("/")
        || Stream.of(key.split("/", -1))
            .anyMatch(p -> p.isEmpty() || p.equals("..") || p.equals("."))) {
      throw new IllegalArgumentException("invalid object key \"" + key + "\"");
    }
    return root.resolve(key);
  }

  private String key(Path file) {
    return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
  }

  private static Path temporary(Path target) throws IOException {
    Path parent = parent(target);
    Files.createDirectories(parent);
    return parent.resolve("." + target.getFileName() + "." + UUID.randomUUID() + TMP_SUFFIX);
  }

  private static void publish(Path tmp, Path target) throws IOException {
    try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      channel.force(true);
    }
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    try (FileChannel dir = FileChannel.open(parent(target))) {
      dir.force(true);
    }
  }

  private static Path parent(Path file) {
    Path parent = file.toAbsolutePath().getParent();
    if (parent == null) {
      throw new IllegalArgumentException("no directory above " + file);
    }
    return parent;
  }

  private static StoredObject stat(Path file, String key) throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
    return new StoredObject(
        key, attributes.size(), null, attributes.lastModifiedTime().toInstant());
  }
}
