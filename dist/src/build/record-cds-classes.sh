#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# dist/src/build/record-cds-classes.sh [JAR]: records the classes that real runs load, into
# dist/src/build/cds-classes.lst, which cds.sh adds to its own training runs' classes when it
# makes the AppCDS archive. cds.sh's runs have no server (the build has none), so they reach the
# failed connection and stop: the protocol, SCRAM, tar, the sinks, the manifest and the WAL writer
# would be loaded, parsed and verified from the jar on every backup (0.1-0.15 s of CPU per run,
# issue #19). This script runs the commands against a throwaway PostgreSQL 15 server, with the
# launcher's JVM options and -XX:DumpLoadedClassList, and keeps the class names and the
# "@lambda-proxy" and "@lambda-form-invoker" lines: with them the archive also holds the lambda
# classes and the method-handle forms those runs spun at run time (57 fewer classes defined per
# backup, most of them generated with ASM and compiled by C1: issue #19). Run it again when a
# command's classes change much; a class the list names that no longer exists, or a lambda line that
# no longer matches a call site, is skipped by the dump (tried: a stale line leaves a warning in
# the dump's log, not a failure); one that is missing is only loaded or spun at run time.
# Developer tool: the build does not run it.
#
# Needs: the project built (cli/target/jwalreceiver.jar, default JAR), PostgreSQL 15 in
# /usr/lib/postgresql/15/bin (or PG_BIN), java 17+, and runuser plus a "postgres" user as root.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
jar="$(cd "$(dirname "${1:-$root/cli/target/jwalreceiver.jar}")" && pwd)/$(basename "${1:-$root/cli/target/jwalreceiver.jar}")"
# shellcheck disable=SC2034 # used by throwaway-server.sh
pg_bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"
out="$root/dist/src/build/cds-classes.lst"
die() { echo "record-cds-classes: error: $*" >&2; exit 1; }
log() { echo "record-cds-classes: $*" >&2; }
[ -f "$jar" ] || die "$jar is missing: build the project first"
while read -r var; do unset "$var"; done < <(compgen -e | grep '^PG' || true)

# shellcheck source=../../../bench/throwaway-server.sh
. "$root/bench/throwaway-server.sh"
# $work, deleted on exit with the server stopped.
throwaway_work_dir "${TMPDIR:-/tmp}" cds-classes
throwaway_server_owner
throwaway_server_start "wal_level = replica
max_wal_senders = 10
fsync = off"
# The launcher's options (the archive is made and used with them).
# shellcheck source=../main/bin/jwalreceiver
. "$root/dist/src/main/bin/jwalreceiver"

sql 'CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 100000) g' >/dev/null
sql 'CHECKPOINT' >/dev/null
mkdir -p "$work/lists"
n=0
run() { # run INVOKED_AS ARGS...: one real run; it must succeed
  local invoked=$1
  shift
  n=$((n + 1))
  "$java_bin" "${jvm_options[@]}" -XX:DumpLoadedClassList="$work/lists/$n.lst" \
    "-Djwalreceiver.invokedAs=$invoked" -cp "$jar" "$main_class" "$@" </dev/null >"$work/run.log" 2>&1 \
    || { cat "$work/run.log" >&2; die "$invoked $* failed"; }
}
java_bin="$(command -v java)" || die "java is not on the PATH"
b="$work/b"
run pg_basebackup "${conn[@]}" -D "$b/plain" -X stream -c fast -P -v
run jwalreceiver verifybackup "$b/plain"
run pg_basebackup "${conn[@]}" -D "$b/plain-N" -N -X stream -c fast
run pg_basebackup "${conn[@]}" -D "$b/tar" -F t -X stream -c fast
run pg_basebackup "${conn[@]}" -D "$b/gzip" -F t -z -X fetch -c fast
run pg_basebackup "${conn[@]}" -D "$b/lz4" -F t -Z client-lz4 -X stream -c fast
run pg_basebackup "${conn[@]}" -D "$b/zstd" -F t -Z client-zstd -X stream -c fast
sql "SELECT pg_create_physical_replication_slot('cds_classes', true)" >/dev/null
sql "SELECT pg_switch_wal()" >/dev/null
sql 'INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100000) g' >/dev/null
endpos="$(sql 'SELECT pg_current_wal_flush_lsn()')"
sql 'CHECKPOINT' >/dev/null
mkdir -m 700 "$work/wal"
run pg_receivewal "${conn[@]}" -D "$work/wal" -S cds_classes --endpos "$endpos" --no-loop -v
sql "SELECT pg_drop_replication_slot('cds_classes')" >/dev/null

# Class names, and the lambda-proxy and lambda-form-invoker lines (not the "id:" lines of other
# loaders: there are none), each once, in the order of first use.
{
  echo "# SPDX-License-Identifier: Apache-2.0"
  echo "# Classes loaded by real runs, for the AppCDS archive: written by record-cds-classes.sh ($(date -u '+%Y-%m-%d'), PostgreSQL $(sql 'SHOW server_version' | cut -d' ' -f1))."
  cat "$work"/lists/*.lst | grep -E '^([A-Za-z0-9_$/]+|@lambda-(proxy|form-invoker) .*)$' | awk '!seen[$0]++'
} >"$out.tmp"
mv "$out.tmp" "$out"
log "$(grep -vc '^[#@]' "$out") classes and $(grep -c '^@' "$out") lambda lines from $n runs in $out"
