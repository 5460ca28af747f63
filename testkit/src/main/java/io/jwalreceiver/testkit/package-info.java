// SPDX-License-Identifier: Apache-2.0
/**
 * Real PostgreSQL servers (13–18) for integration tests, and the tools tests need around them.
 *
 * <ul>
 *   <li>{@link io.jwalreceiver.testkit.PostgresServer}: start, stop, standby pairs, promotion, WAL
 *       generation, TLS, test roles; {@code shared(major)} for a JVM-wide server per version (its
 *       process side, SQL helpers, creation, configuration files and directories live in
 *       package-private classes beside it);
 *   <li>{@link io.jwalreceiver.testkit.PgVersions}: the versions selected by {@code -Dpg.versions}
 *       / {@code -Dpg.bin}, for {@code @MethodSource}, and version assumptions;
 *   <li>the process plumbing (binaries, initdb/pg_ctl as an unprivileged user when root, commands,
 *       file trees) is the {@code embedded} module's {@link io.jwalreceiver.embedded}, which the
 *       command line's {@code jwalreceiver demo} uses too;
 *   <li>{@link io.jwalreceiver.testkit.TcpProxy}: a fault-injecting TCP forwarder; {@link
 *       io.jwalreceiver.testkit.HttpFaultProxy}: a fault-injecting HTTP/1.1 proxy for object
 *       storage (error answers, cut requests and responses, damaged bodies, stalls);
 *   <li>{@link io.jwalreceiver.testkit.ScriptedBackend}, {@link
 *       io.jwalreceiver.testkit.BackendBytes}: the one scripted fake server (a loopback socket
 *       speaking the backend protocol byte by byte) and the frames its scripts write;
 *   <li>{@link io.jwalreceiver.testkit.GoldenFiles}: golden byte files under {@code /golden/} and
 *       hex-written bytes;
 *   <li>{@link io.jwalreceiver.testkit.Tools}, {@link io.jwalreceiver.testkit.Waits}, {@link
 *       io.jwalreceiver.testkit.WalArchiveListing}: running oracle programs, waiting, listing a WAL
 *       archive directory.
 * </ul>
 */
@NullMarked
package io.jwalreceiver.testkit;

import org.jspecify.annotations.NullMarked;
