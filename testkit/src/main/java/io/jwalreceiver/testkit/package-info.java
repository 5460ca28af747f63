// SPDX-License-Identifier: Apache-2.0
/**
 * Real PostgreSQL servers (13–18) for integration tests, and the tools tests need around them.
 *
 * <ul>
 *   <li>{@link io.jwalreceiver.testkit.PostgresServer}: start, stop, standby pairs, promotion, WAL
 *       generation, TLS, test roles; {@code shared(major)} for a JVM-wide server per version;
 *   <li>{@link io.jwalreceiver.testkit.PgVersions}: the versions selected by {@code
 *       -Dpg.versions} / {@code -Dpg.bin}, for {@code @MethodSource}, and version assumptions;
 *   <li>{@link io.jwalreceiver.testkit.PgBinaries}: where the server binaries come from;
 *   <li>{@link io.jwalreceiver.testkit.PgCtl}, {@link io.jwalreceiver.testkit.ServerUser}, {@link
 *       io.jwalreceiver.testkit.Commands}, {@link io.jwalreceiver.testkit.FileTrees}: initdb and
 *       pg_ctl run as an unprivileged user when root; also used at run time by {@code jwalreceiver
 *       demo} (the cli depends on this module without JUnit and Bouncy Castle, so nothing here
 *       that the demo uses may need them);
 *   <li>{@link io.jwalreceiver.testkit.TcpProxy}: a fault-injecting TCP forwarder;
 *   <li>{@link io.jwalreceiver.testkit.ScriptedBackend}, {@link
 *       io.jwalreceiver.testkit.BackendBytes}: the one scripted fake server (a loopback socket
 *       speaking the backend protocol byte by byte) and the frames its scripts write;
 *   <li>{@link io.jwalreceiver.testkit.GoldenFiles}: golden byte files under {@code /golden/} and
 *       hex-written bytes;
 *   <li>{@link io.jwalreceiver.testkit.Tools}, {@link io.jwalreceiver.testkit.Waits}, {@link
 *       io.jwalreceiver.testkit.WalArchiveListing}: running oracle programs, waiting, listing a
 *       WAL archive directory.
 * </ul>
 */
package io.jwalreceiver.testkit;
