// SPDX-License-Identifier: Apache-2.0

/**
 * BASE_BACKUP client: both server stream shapes, tar reading, the plain and tar sinks, archive
 * compression, backup manifests and the standby configuration (-R).
 *
 * <p>Every package of this module is named here: {@code ArchitectureTest} in cli fails when a new
 * package is not exported.
 */
module io.jwalreceiver.basebackup {
  requires static transitive org.jspecify;
  requires transitive io.jwalreceiver.walreceiver;
  requires com.fasterxml.jackson.core;
  requires org.lz4.java;
  requires com.github.luben.zstd_jni;

  exports io.jwalreceiver.basebackup;
  exports io.jwalreceiver.basebackup.compress;
  exports io.jwalreceiver.basebackup.manifest;
  exports io.jwalreceiver.basebackup.sink;
  exports io.jwalreceiver.basebackup.stream;
  exports io.jwalreceiver.basebackup.tar;
}
