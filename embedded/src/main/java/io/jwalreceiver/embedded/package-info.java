// SPDX-License-Identifier: Apache-2.0
/**
 * Running real PostgreSQL servers (13–18) from the Maven Central embedded binaries: the runtime
 * shared by the testkit's test fixture and the command line's {@code jwalreceiver demo}. No JUnit
 * here: this module ships in the product jar.
 *
 * <ul>
 *   <li>{@link io.jwalreceiver.embedded.PgBinaries}: finds the server jar of a major version (or a
 *       local installation named by {@code -Dpg.bin}) and unpacks it once per machine;
 *   <li>{@link io.jwalreceiver.embedded.PgCtl}: {@code initdb} and {@code pg_ctl} of one
 *       installation;
 *   <li>{@link io.jwalreceiver.embedded.ServerUser}: the unprivileged OS user the servers run as
 *       when this JVM is root, and the files and directories handed over to it;
 *   <li>{@link io.jwalreceiver.embedded.Commands}: running a command with a deadline and captured
 *       output;
 *   <li>{@link io.jwalreceiver.embedded.S3Proxy}: an S3 API server (S3Proxy) as a subprocess, for
 *       the tests and {@code demo --s3};
 *   <li>{@link io.jwalreceiver.embedded.FileTrees}: removing the trees servers wrote;
 *   <li>{@link io.jwalreceiver.embedded.PostgresServerException}: what fails here.
 * </ul>
 */
@NullMarked
package io.jwalreceiver.embedded;

import org.jspecify.annotations.NullMarked;
