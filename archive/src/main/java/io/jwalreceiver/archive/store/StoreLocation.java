// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Where an archive lives, as the user wrote it: {@code s3://bucket[/prefix][?option=value&...]} or
 * a local directory. The prefix never starts with a slash and, when not empty, ends with one, so
 * that a key is {@code prefix + name}.
 *
 * <p>Options of an {@code s3://} location (all optional; the AWS environment and profile files give
 * the rest): {@code endpoint} (an S3-compatible endpoint URL), {@code region}, {@code path-style}
 * ({@code true}/{@code false}; default true when an endpoint is configured).
 *
 * @param text the location as given, for messages
 * @param bucket the bucket, or null for a local directory
 * @param prefix the key prefix inside the bucket ("" or ending in "/"); "" for a local directory
 * @param directory the local directory, or null for S3
 * @param options the {@code ?name=value} options of an S3 location
 */
public record StoreLocation(
    String text,
    @Nullable String bucket,
    String prefix,
    @Nullable Path directory,
    Map<String, String> options) {

  /** Creates a location; the options map is copied. */
  public StoreLocation {
    options = Map.copyOf(options);
  }

  /**
   * Parses a location.
   *
   * @throws IllegalArgumentException with a one-line message naming what is wrong
   */
  public static StoreLocation parse(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("archive location must not be empty");
    }
    if (!text.regionMatches(true, 0, "s3://", 0, 5)) {
      if (text.contains("://")) {
        throw new IllegalArgumentException(
            "unsupported archive location \"" + text + "\": use s3://bucket/prefix or a directory");
      }
      return new StoreLocation(text, null, "", Path.of(text), Map.of());
    }
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "invalid archive location \"" + text + "\": " + e.getReason(), e);
    }
    String bucket = uri.getHost();
    if (bucket == null || bucket.isEmpty()) {
      throw new IllegalArgumentException(
          "invalid archive location \"" + text + "\": no bucket (use s3://bucket/prefix)");
    }
    String path = uri.getPath() == null ? "" : uri.getPath();
    String prefix = path.replaceAll("^/+", "").replaceAll("/+$", "");
    if (prefix.contains("//")) {
      throw new IllegalArgumentException(
          "invalid archive location \"" + text + "\": empty path element in the prefix");
    }
    return new StoreLocation(
        text, bucket, prefix.isEmpty() ? "" : prefix + "/", null, options(text, uri));
  }

  private static Map<String, String> options(String text, URI uri) {
    Map<String, String> options = new LinkedHashMap<>();
    String query = uri.getQuery();
    if (query == null || query.isEmpty()) {
      return options;
    }
    for (String pair : query.split("&", -1)) {
      int eq = pair.indexOf('=');
      String name = (eq < 0 ? pair : pair.substring(0, eq)).toLowerCase(Locale.ROOT);
      if (!name.equals("endpoint") && !name.equals("region") && !name.equals("path-style")) {
        throw new IllegalArgumentException(
            "invalid archive location \""
                + text
                + "\": unknown option \""
                + name
                + "\" (known: endpoint, region, path-style)");
      }
      if (eq < 0 || eq == pair.length() - 1) {
        throw new IllegalArgumentException(
            "invalid archive location \"" + text + "\": option \"" + name + "\" needs a value");
      }
      options.put(name, pair.substring(eq + 1));
    }
    return options;
  }

  /** Whether this is an {@code s3://} location. */
  public boolean isS3() {
    return bucket != null;
  }

  /** The location of a key, for messages: {@code s3://bucket/prefix/key} or the file's path. */
  public String describe(String key) {
    Path dir = directory;
    if (dir != null) {
      return dir.resolve(key).toString();
    }
    return "s3://" + bucket + "/" + prefix + key;
  }

  @Override
  public String toString() {
    return text;
  }
}
