// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.util.Map;

/** Opens the store of a location. */
public final class Stores {

  private Stores() {}

  /**
   * Opens an {@link S3Store} for an {@code s3://} location, a {@link DirectoryStore} otherwise.
   *
   * @param env the process environment, for the S3 settings
   * @throws IllegalArgumentException with a one-line message when the S3 settings are incomplete
   */
  public static ObjectStore open(StoreLocation location, Map<String, String> env) {
    if (location.isS3()) {
      return new S3Store(location, S3Settings.resolve(location, env));
    }
    return new DirectoryStore(location);
  }
}
