// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * An object in a store, as a listing or a lookup reports it.
 *
 * @param key the key relative to the store's prefix
 * @param size the size in bytes
 * @param sha256 the content's SHA-256 (lowercase hex) recorded when it was stored with {@link
 *     ObjectStore#put} (as {@code put} returns it, and as an S3 lookup reports it), or null when
 *     none is known (listings, objects written through {@link ObjectStore#create}, lookups in a
 *     local directory)
 * @param lastModified when the store last wrote it
 */
public record StoredObject(String key, long size, @Nullable String sha256, Instant lastModified) {}
