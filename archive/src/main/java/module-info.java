// SPDX-License-Identifier: Apache-2.0
/**
 * The archive beyond one machine: object storage for WAL and base backups, and the restore side.
 */
module io.jwalreceiver.archive {
  requires static transitive org.jspecify;
  requires transitive io.jwalreceiver.walreceiver;
  requires transitive io.jwalreceiver.basebackup;
  requires software.amazon.awssdk.services.s3;
  requires transitive software.amazon.awssdk.auth;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.regions;
  requires software.amazon.awssdk.http.apache5;
  requires software.amazon.awssdk.awscore;
  requires software.amazon.awssdk.http;

  exports io.jwalreceiver.archive;
  exports io.jwalreceiver.archive.backup;
  exports io.jwalreceiver.archive.restore;
  exports io.jwalreceiver.archive.store;
  exports io.jwalreceiver.archive.upload;
  exports io.jwalreceiver.archive.verify;
}
