// SPDX-License-Identifier: Apache-2.0
/**
 * Object stores: one small interface ({@link io.jwalreceiver.archive.store.ObjectStore}) over S3
 * (the AWS SDK for Java v2, any S3-compatible endpoint) and over a local directory, so that every
 * command serves both the same way.
 */
@NullMarked
package io.jwalreceiver.archive.store;

import org.jspecify.annotations.NullMarked;
