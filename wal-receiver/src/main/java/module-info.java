// SPDX-License-Identifier: Apache-2.0

/**
 * The embeddable core: the vocabulary types, WAL compression, the replication session, the
 * streaming loop and the durable segment writer. The wire codec ({@code io.jwalreceiver.protocol}
 * and its sub-packages) is exported only to {@code io.jwalreceiver.basebackup}, which runs its own
 * BASE_BACKUP exchange; everyone else goes through the session.
 *
 * <p>Every package of this module is named here: {@code ArchitectureTest} in cli fails when a new
 * package is neither exported nor exported to a module.
 */
module io.jwalreceiver.walreceiver {
  requires static transitive org.jspecify;
  requires com.ongres.scram.common;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;
  requires org.lz4.java;
  requires com.github.luben.zstd_jni;

  exports io.jwalreceiver;
  exports io.jwalreceiver.compress;
  exports io.jwalreceiver.session;
  exports io.jwalreceiver.wal;
  exports io.jwalreceiver.wal.segment;
  exports io.jwalreceiver.protocol to
      io.jwalreceiver.basebackup;
  exports io.jwalreceiver.protocol.backend to
      io.jwalreceiver.basebackup;
  exports io.jwalreceiver.protocol.command to
      io.jwalreceiver.basebackup;
  exports io.jwalreceiver.protocol.frontend to
      io.jwalreceiver.basebackup;
  exports io.jwalreceiver.protocol.replication to
      io.jwalreceiver.basebackup;
}
