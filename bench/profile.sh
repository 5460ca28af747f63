#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Where the client's CPU goes: profiles the shaded jar (cli/target/jwalreceiver.jar, with the
# launcher's JVM options) with async-profiler against one throwaway PostgreSQL server, and draws a
# CPU and an allocation flame graph per case. Issue #19; docs/benchmarks/profiles/README.md says
# how the committed graphs were made and docs/benchmarks.md discusses them.
#
# It starts its server the way bench/side-by-side.sh does (initdb as the unprivileged "postgres"
# user when run as root, 127.0.0.1 on a free port, scram, every PG* variable cleared) and only
# stops and deletes what it created.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/profile.sh [options]

Profiles jwalreceiver (the shaded jar run as the launcher runs it, with the launcher's JVM options,
without the release's CDS archive) with async-profiler, one short run per case, and writes for each case
CASE-cpu.html and CASE-alloc.html (flame graphs) to the output directory, plus the raw JFR
recording and collapsed stacks (CASE-cpu.collapsed, CASE-cpu-threads.collapsed,
CASE-alloc.collapsed, in bytes) to the raw directory.

Cases:
  plain        basebackup -D DIR -X stream -c fast  (plain format, fsync on)
  plain-N      basebackup -D DIR -X stream -c fast -N
  tar          basebackup -D DIR -F t -X stream -c fast
  receivewal   receivewal catch-up from a slot that is --wal-mb behind, with --endpos

Options:
  --only LIST      comma-separated cases (default: all four)
  --scale N        pgbench -i -s N for the basebackup cases (default 60, about 0.9 GB)
  --wal-mb N       WAL the receivewal catch-up starts behind, in MiB (default 512)
  --repeat N       profile each case N times; run 2.. get a -runK suffix (default 1)
  --event E        async-profiler CPU event: cpu (perf_events: kernel frames too), itimer or
                   ctimer; auto (default) is cpu when a probe run shows perf_events usable,
                   else itimer (which misses kernel frames and undercounts on busy machines)
  --interval NS    CPU sampling interval in ns (default 1000000 = 1 ms)
  --alloc BYTES    allocation sampling interval in bytes (default 262144)
  --strace         also run each case once, unprofiled, under strace -c -f (syscall counts
                   to the raw directory as CASE-strace.txt)
  --baseline       also run each case once without the profiler first (its wall and CPU times
                   go to conditions.txt: what the agent adds)
  --out DIR        flame graphs (default docs/benchmarks/profiles)
  --raw DIR        JFR files, collapsed stacks, logs (default bench/results/profiles)
  --pg-bin DIR     PostgreSQL 15 binaries (default /usr/lib/postgresql/15/bin)
  --dir DIR        parent of the throwaway cluster and the backups (default $TMPDIR or /tmp)
  --jar FILE       the jar to profile (default cli/target/jwalreceiver.jar)
  -h, --help       this text

async-profiler (tools.profiler:async-profiler 4.2: the native agent linux-x64/libasyncProfiler.so)
and its converter (tools.profiler:jfr-converter 4.2, which draws the HTML flame graphs; 4.x draws
no SVG) are fetched through Maven (mvn dependency:copy) into the raw directory.

Needs: the project built (cli/target/jwalreceiver.jar), java 17+ and mvn on the PATH, pgbench,
unzip, and runuser plus a "postgres" user when run as root; strace for --strace.
EOF
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cases=""
scale=60
wal_mb=512
repeat=1
event=auto
interval=1000000
alloc=262144
with_strace=""
baseline=""
out="$root/docs/benchmarks/profiles"
raw="$root/bench/results/profiles"
pg_bin=/usr/lib/postgresql/15/bin
parent="${TMPDIR:-/tmp}"
jar="$root/cli/target/jwalreceiver.jar"
ap_version=4.2
args_given="$*"

while [ $# -gt 0 ]; do
  case "$1" in
    --only) cases="$cases,${2:?--only needs a value}"; shift 2 ;;
    --scale) scale="${2:?--scale needs a value}"; shift 2 ;;
    --wal-mb) wal_mb="${2:?--wal-mb needs a value}"; shift 2 ;;
    --repeat) repeat="${2:?--repeat needs a value}"; shift 2 ;;
    --event) event="${2:?--event needs a value}"; shift 2 ;;
    --interval) interval="${2:?--interval needs a value}"; shift 2 ;;
    --alloc) alloc="${2:?--alloc needs a value}"; shift 2 ;;
    --strace) with_strace=1; shift ;;
    --baseline) baseline=1; shift ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    --raw) raw="${2:?--raw needs a value}"; shift 2 ;;
    --pg-bin) pg_bin="${2:?--pg-bin needs a value}"; shift 2 ;;
    --dir) parent="${2:?--dir needs a value}"; shift 2 ;;
    --jar) jar="${2:?--jar needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "profile: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

die() { echo "profile: error: $*" >&2; exit 1; }
log() { echo "profile: $*" >&2; }

cases="${cases#,}"
[ -n "$cases" ] || cases="plain,plain-N,tar,receivewal"
IFS=, read -r -a case_list <<<"$cases"
for c in "${case_list[@]}"; do
  case "$c" in
    plain|plain-N|tar|receivewal) ;;
    *) die "--only: unknown case '$c' (plain, plain-N, tar, receivewal)" ;;
  esac
done
want() { [[ ",$cases," == *",$1,"* ]]; }
for v in scale wal_mb repeat interval alloc; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--${v//_/-} must be a positive integer, got '${!v}'"
done
case "$event" in auto|itimer|cpu|ctimer) ;; *) die "--event must be auto, cpu, itimer or ctimer" ;; esac
for tool in initdb pg_ctl psql pgbench; do
  [ -x "$pg_bin/$tool" ] || die "$pg_bin/$tool not found (use --pg-bin)"
done
for tool in java mvn unzip; do command -v "$tool" >/dev/null || die "$tool is not on the PATH"; done
[ -z "$with_strace" ] || command -v strace >/dev/null || die "--strace needs strace"
[ -f "$jar" ] || die "$jar is missing: build it first (mvn -B -q package -pl cli -am -DskipTests)"
[ -d "$parent" ] || die "--dir $parent is not a directory"
[ -n "${BASH_VERSINFO[0]:-}" ] && [ "${BASH_VERSINFO[0]}" -ge 5 ] || die "needs bash 5 (EPOCHREALTIME)"
mkdir -p "$out" "$raw" || die "cannot create $out or $raw"
out="$(cd "$out" && pwd)"
raw="$(cd "$raw" && pwd)"

# Nothing from the environment may point a client at another server.
while read -r var; do unset "$var"; done < <(compgen -e | grep '^PG' || true)

# --- async-profiler, through Maven only (bench/async-profiler.sh) ------------------------------
# shellcheck source=bench/async-profiler.sh
. "$root/bench/async-profiler.sh"
async_profiler_fetch "$raw/tools" "$ap_version"
if [ "$event" = auto ]; then
  # perf_events may be refused (perf_event_paranoid, seccomp in a container): then async-profiler
  # says so on its output and samples nothing of that kind.
  event=cpu
  if ! java "-agentpath:$agent=start,event=cpu,file=$raw/probe.jfr" -version >"$raw/probe.log" 2>&1 \
      || grep -qi 'perf_event\|perf events\|\[WARN\]\|\[ERROR\]' "$raw/probe.log"; then
    log "perf_events unusable here (perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo ?)); sampling with itimer"
    event=itimer
  fi
  rm -f "$raw/probe.jfr"
fi

# --- disk -------------------------------------------------------------------------------------
# The database (≈ 15 MiB per scale unit) plus one backup of it, and the WAL plus one copy.
need_mb=$((1024 + scale * 16 * 2 + wal_mb * 3))
avail_mb=$(( $(df -Pk "$parent" | awk 'NR == 2 { print $4 }') / 1024 ))
[ "$avail_mb" -ge "$need_mb" ] || die "$parent has $avail_mb MiB free, needs $need_mb MiB"

# --- the throwaway cluster (bench/throwaway-server.sh, as bench/side-by-side.sh) ---------------
# shellcheck source=bench/throwaway-server.sh
. "$root/bench/throwaway-server.sh"
# $work, deleted on exit with the server stopped (only ever the directory made here).
throwaway_work_dir "$parent" profile

throwaway_server_owner
# The server's own durability is off to generate data fast; the client's is not.
throwaway_server_start "wal_level = replica
max_wal_senders = 10
max_replication_slots = $((repeat + 12))
max_slot_wal_keep_size = -1
max_wal_size = '$((2 * wal_mb + 2048))MB'
checkpoint_timeout = '1h'
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
shared_buffers = '256MB'
wal_buffers = '64MB'"

# --- runs -------------------------------------------------------------------------------------
# The launcher's JVM options (jvm_options, and main_class: the launcher runs "-cp JAR MAIN"), read
# from the launcher itself, which stops after its definitions when sourced (as cds.sh reads them);
# then the agent. No CDS archive: the profile shows class loading as a release without one would.
# shellcheck source=../dist/src/main/bin/jwalreceiver
. "$root/dist/src/main/bin/jwalreceiver"
jvm=(java "${jvm_options[@]}")
conditions="$raw/conditions.txt"
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine=$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
  echo "java=$(java -version 2>&1 | head -2 | tail -1)"
  echo "server=$(sql 'SHOW server_version')"
  echo "profiler=async-profiler $ap_version, event=$event interval=${interval}ns alloc=${alloc}B"
  echo "args=$args_given"
} >"$conditions"

# profiled NAME CMD-ARGS...: runs the jar with the agent recording CPU and allocation samples to
# one JFR file, then converts it. Appends the case's wall/CPU time and load to conditions.txt.
profiled() {
  local name=$1; shift
  local jfr="$raw/$name.jfr" t0 t1 load
  rm -f "$jfr"
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  t0=$EPOCHREALTIME
  local times
  times="$( { TIMEFORMAT='%U %S'; time "${jvm[@]}" \
      "-agentpath:$agent=start,event=$event,interval=$interval,alloc=$alloc,file=$jfr" \
      -cp "$jar" "$main_class" "$@" >"$raw/$name.log" 2>&1; } 2>&1 )" \
    || { cat "$raw/$name.log" >&2; die "$name: jwalreceiver failed"; }
  t1=$EPOCHREALTIME
  [ -s "$jfr" ] || die "$name: async-profiler wrote no recording (see $raw/$name.log)"
  local title="jwalreceiver $name ($event, $(date -u +%F))"
  java -jar "$converter" --cpu --title "$title: CPU" "$jfr" "$out/$name-cpu.html" >/dev/null
  java -jar "$converter" --alloc --total --title "$title: allocated bytes" "$jfr" "$out/$name-alloc.html" >/dev/null
  java -jar "$converter" --cpu -o collapsed "$jfr" "$raw/$name-cpu.collapsed" >/dev/null
  java -jar "$converter" --cpu --threads -o collapsed "$jfr" "$raw/$name-cpu-threads.collapsed" >/dev/null
  java -jar "$converter" --alloc --total -o collapsed "$jfr" "$raw/$name-alloc.collapsed" >/dev/null
  local line
  line="$name: wall $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s, user+sys ${times/ / + } s, load before $load, $(wc -l <"$raw/$name-cpu.collapsed") CPU stacks"
  echo "$line" >>"$conditions"
  log "$line"
}

# unprofiled NAME CMD-ARGS...: the same run without the agent, timed, for conditions.txt.
unprofiled() {
  local name=$1; shift
  local t0 t1 times load
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  t0=$EPOCHREALTIME
  times="$( { TIMEFORMAT='%U %S'; time "${jvm[@]}" -cp "$jar" "$main_class" "$@" >"$raw/$name-baseline.log" 2>&1; } 2>&1 )" \
    || { cat "$raw/$name-baseline.log" >&2; die "$name (unprofiled): jwalreceiver failed"; }
  t1=$EPOCHREALTIME
  local line
  line="$name without the profiler: wall $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s, user+sys ${times/ / + } s, load before $load"
  echo "$line" >>"$conditions"
  log "$line"
}

# traced NAME CMD-ARGS...: one unprofiled run under strace -c -f.
traced() {
  local name=$1; shift
  strace -c -f -o "$raw/$name-strace.txt" "${jvm[@]}" -cp "$jar" "$main_class" "$@" >"$raw/$name-strace.log" 2>&1 \
    || { cat "$raw/$name-strace.log" >&2; die "$name under strace failed"; }
  log "$name: strace summary in $raw/$name-strace.txt"
}

suffix() { [ "$1" -eq 1 ] && echo "" || echo "-run$1"; }

if want plain || want plain-N || want tar; then
  log "pgbench -i -s $scale (about $((scale * 15)) MB)"
  sql 'CREATE DATABASE bench' >/dev/null
  "$pg_bin/pgbench" "${conn[@]}" -i -q -s "$scale" bench >"$work/pgbench-init.log" 2>&1 \
    || { cat "$work/pgbench-init.log" >&2; die "pgbench -i failed"; }
  sql 'CHECKPOINT' >/dev/null
  echo "databases=$(sql 'SELECT sum(pg_database_size(oid)) FROM pg_database') bytes (scale $scale)" >>"$conditions"
  for c in plain plain-N tar; do
    want "$c" || continue
    case "$c" in
      plain) flags=() ;;
      plain-N) flags=(-N) ;;
      tar) flags=(-F t) ;;
    esac
    if [ -n "$baseline" ]; then
      rm -rf -- "$work/bb"
      sync
      unprofiled "basebackup-$c" basebackup "${conn[@]}" -D "$work/bb" -X stream -c fast "${flags[@]}"
    fi
    for i in $(seq 1 "$repeat"); do
      rm -rf -- "$work/bb"
      sync
      profiled "basebackup-$c$(suffix "$i")" basebackup "${conn[@]}" -D "$work/bb" -X stream -c fast "${flags[@]}"
    done
    if [ -n "$with_strace" ]; then
      rm -rf -- "$work/bb"
      sync
      traced "basebackup-$c" basebackup "${conn[@]}" -D "$work/bb" -X stream -c fast "${flags[@]}"
    fi
    rm -rf -- "$work/bb"
  done
fi

if want receivewal; then
  seg_bytes="$(sql "SELECT setting::bigint * CASE unit WHEN 'B' THEN 1 WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = 'wal_segment_size'")"
  runs=$repeat
  [ -z "$with_strace" ] || runs=$((runs + 1))
  [ -z "$baseline" ] || runs=$((runs + 1))
  sql 'CHECKPOINT' >/dev/null
  for i in $(seq 1 "$runs"); do
    sql "SELECT pg_create_physical_replication_slot('prof_$i', true)" >/dev/null
  done
  start_lsn="$(sql "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'prof_1'")"
  log "receivewal: generating $wal_mb MiB of WAL from $start_lsn"
  # As side-by-side.sh's generate_wal: logical messages until the insert position has moved on.
  sql "DO \$\$
DECLARE
  target pg_lsn := '$start_lsn'::pg_lsn + $((wal_mb * 1048576));
  payload text := (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 32768) i);
BEGIN
  WHILE pg_current_wal_insert_lsn() < target LOOP
    PERFORM pg_logical_emit_message(false, 'profile', payload);
  END LOOP;
END
\$\$" >/dev/null
  sql 'CHECKPOINT' >/dev/null
  endpos="$(sql 'SELECT pg_current_wal_flush_lsn()')"
  # --endpos stops once the received position passes it: make sure there is WAL after it.
  sql "SELECT pg_logical_emit_message(true, 'profile', repeat('x', 65536))" >/dev/null
  sql 'CHECKPOINT' >/dev/null
  stream_start="$(sql "SELECT '$start_lsn'::pg_lsn - (('$start_lsn'::pg_lsn - '0/0'::pg_lsn) % $seg_bytes)")"
  echo "wal=$(sql "SELECT '$endpos'::pg_lsn - '$stream_start'::pg_lsn") bytes ($stream_start .. $endpos)" >>"$conditions"
  for i in $(seq 1 "$runs"); do
    rm -rf -- "$work/wal"
    mkdir -m 700 "$work/wal"
    sync
    args=(receivewal "${conn[@]}" -D "$work/wal" -S "prof_$i" --endpos "$endpos" --no-loop)
    if [ -n "$baseline" ] && [ "$i" -eq "$runs" ]; then
      unprofiled receivewal "${args[@]}"
    elif [ "$i" -le "$repeat" ]; then
      profiled "receivewal$(suffix "$i")" "${args[@]}"
    else
      traced receivewal "${args[@]}"
    fi
  done
  rm -rf -- "$work/wal"
fi

log "flame graphs in $out; recordings, collapsed stacks and $conditions in $raw"
