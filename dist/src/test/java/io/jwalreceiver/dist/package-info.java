// SPDX-License-Identifier: Apache-2.0
/**
 * Tests of what the dist module builds (issue #15): the release tarball unpacked and run as a user
 * installs it ({@link io.jwalreceiver.dist.TarballIT}, its choice of Java runtime {@link
 * io.jwalreceiver.dist.TarballJavaSelectionIT}, its start-up {@link
 * io.jwalreceiver.dist.TarballStartupIT}).
 */
@NullMarked
package io.jwalreceiver.dist;

import org.jspecify.annotations.NullMarked;
