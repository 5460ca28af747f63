#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Side by side, in one run, on one machine, against one throwaway PostgreSQL server and the same
# data: the PostgreSQL tools and jwalreceiver.
#
#   bench/side-by-side.sh [--only receivewal,basebackup,syncstandby,startup,objectstore] [--quick]
#                         [--before OLDER.jar] [options]
#
# Sections (docs/benchmarks.md has the details):
#   receivewal   pg_receivewal vs jwalreceiver receivewal: catch-up over >= N GiB of WAL from a
#                slot, default durability and --synchronous; completed segments must be
#                byte-identical.
#   basebackup   pg_basebackup vs jwalreceiver basebackup on a pgbench database (scale 100, about
#                1.5 GB): plain -X stream, plain -N, tar, tar -z (client gzip), tar client-lz4,
#                tar client-zstd; in the same rotation as plain: the server's send ceiling
#                (pg_basebackup -Ft -D - -X fetch to /dev/null), the machine's copy limit (cp -a
#                of the data directory, pg_wal's contents left out, && sync; the server idle
#                after a CHECKPOINT) and a pgBackRest full backup (zst, process-max=2; skipped
#                with a note when pgbackrest is not installed). --dataset perfbar backs up one
#                table of 5.5 M rows (md5 + 200 bytes, about 1.5 GB) instead of pgbench's.
#   syncstandby  pgbench TPS on the primary (synchronous_commit=on, fsync=on) with, in turn, no
#                standby, pg_receivewal --synchronous and jwalreceiver receivewal --synchronous as
#                the synchronous standby.
#   startup      N interleaved runs of the short commands: jwalreceiver --version, --help,
#                basebackup --help, pg_receivewal --version through a pg_receivewal link, and
#                the C tools' --version / --help for reference; median and min wall, max RSS.
#   objectstore  jwalreceiver with an S3 store (S3Proxy on loopback, started and stopped here) vs
#                local files only: receivewal catch-up local vs --target s3://, and basebackup
#                -F t -D vs -t s3://, with pg_receivewal / pg_basebackup -F t as the reference;
#                times until everything is in the store, peak RSS. Not part of the default run;
#                its table is written by this script (side-by-side-objectstore.md), not charted.
# Every row has the client's CPU (user+sys of the process tree), its CPU per GB of backup or WAL,
# and its max RSS (GNU time's %M: the largest process of the tree). With --before OLDER.jar the
# older jar runs as a third tool (jwr-before) in every section, through the same launcher.
# Each measurement rotates the order of the tools between runs; medians are reported. Raw
# results go to <out>/side-by-side-<section>.csv plus .properties (machine, server, sizes,
# date); then the report generator (bench module) draws the PNG charts into <out> and rewrites
# the generated section of the doc between its markers.
#
# It never touches another PostgreSQL instance: every PG* variable is cleared, every client gets
# explicit -h/-p/-U, and the server is checked to be the one in our directory before use. It only
# stops and deletes what it created.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/side-by-side.sh [options]
  --only LIST      sections to run, comma-separated: receivewal, basebackup, syncstandby,
                   startup, objectstore (default: the first four; may be repeated)
  --runs N         runs per tool and case; medians are reported (default 3)
  --startup-runs N startup: interleaved runs per command (default 21)
  --before FILE    an older jwalreceiver: a release tarball (jwalreceiver-VERSION.tar.gz, run with
                   its own launcher, JVM options and AppCDS archive) or a jwalreceiver.jar (run
                   through this checkout's launcher); tool jwr-before next to jwr in receivewal,
                   basebackup and startup
  --release FILE   run jwr from this release tarball (e.g. dist/target/jwalreceiver-*.tar.gz)
                   instead of cli/target/jwalreceiver.jar through this checkout's launcher
  --gb N           receivewal, objectstore: GiB of WAL per tool and run (default 1; decimals allowed)
  --scale N        basebackup, syncstandby, objectstore: pgbench scale (default 100, about 1.5 GB)
  --dataset NAME   basebackup: what is backed up; pgbench (default: pgbench -i -s SCALE) or
                   perfbar (issue #19's perf bar table: one table of ROWS rows of
                   md5(g::text) plus 200 bytes of text, 1.56 GB for 5.5 M rows, in a
                   database of its own; syncstandby and objectstore still use pgbench)
  --cases LIST     basebackup: the cases to run, comma-separated, of plain, plain-N, tar,
                   tar-gzip, tar-lz4, tar-zstd (default: all six; the ceiling, cp -a && sync and
                   pgBackRest rows rotate with plain)
  --rows N         basebackup with --dataset perfbar: rows of the table (default 5500000;
                   with --quick 700000, about 200 MB)
  --tps-seconds N  syncstandby: pgbench -T per run (default 60)
  --clients N      syncstandby: pgbench clients (default 4)
  --quick          smoke test: --gb 0.2 --scale 13 --rows 700000 --runs 1 --tps-seconds 10
                   --startup-runs 3, results to bench/results/quick instead of docs/
  --out DIR        results, charts (default docs/benchmarks; with --quick bench/results/quick)
  --doc FILE       the document whose generated section is rewritten (default docs/benchmarks.md;
                   with --quick DIR/benchmarks.md)
  --no-report      measure and write the results only; no charts, no doc
  --pg-bin DIR     PostgreSQL bin directory (default /usr/lib/postgresql/15/bin)
  --s3proxy JAR    objectstore: the S3Proxy jar-with-dependencies (default
                   ~/.m2/repository/org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar)
  --dir PARENT     where the temporary directory goes: cluster and all output directories
                   (default ${TMPDIR:-/tmp}); its filesystem decides what fsync costs
  -h, --help       this text
Needs: the project built (cli/target/jwalreceiver.jar and bench/target/benchmarks.jar), java 17+
on the PATH, pgbench, GNU time (/usr/bin/time, for max RSS), and runuser plus a "postgres" user
when run as root. Optional: pgbackrest (Debian's package; its row is skipped without it).
EOF
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sections=""
runs=3
gb=1
scale=100
dataset=pgbench
bb_cases=plain,plain-N,tar,tar-gzip,tar-lz4,tar-zstd
rows=""
tps_seconds=60
clients=4
quick=""
out=""
doc=""
report=1
pg_bin=/usr/lib/postgresql/15/bin
parent="${TMPDIR:-/tmp}"
s3proxy_jar="$HOME/.m2/repository/org/gaul/s3proxy/4.1.0/s3proxy-4.1.0-jar-with-dependencies.jar"
startup_runs=21
before_jar=""
release_tarball=""
args_given="$*"

while [ $# -gt 0 ]; do
  case "$1" in
    --only) sections="$sections,${2:?--only needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --startup-runs) startup_runs="${2:?--startup-runs needs a value}"; shift 2 ;;
    --before) before_jar="${2:?--before needs a value}"; shift 2 ;;
    --release) release_tarball="${2:?--release needs a value}"; shift 2 ;;
    --gb) gb="${2:?--gb needs a value}"; shift 2 ;;
    --scale) scale="${2:?--scale needs a value}"; shift 2 ;;
    --dataset) dataset="${2:?--dataset needs a value}"; shift 2 ;;
    --cases) bb_cases="${2:?--cases needs a value}"; shift 2 ;;
    --rows) rows="${2:?--rows needs a value}"; shift 2 ;;
    --tps-seconds) tps_seconds="${2:?--tps-seconds needs a value}"; shift 2 ;;
    --clients) clients="${2:?--clients needs a value}"; shift 2 ;;
    --quick) quick=1; gb=0.2; scale=13; runs=1; tps_seconds=10; startup_runs=3; shift ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    --doc) doc="${2:?--doc needs a value}"; shift 2 ;;
    --no-report) report=""; shift ;;
    --pg-bin) pg_bin="${2:?--pg-bin needs a value}"; shift 2 ;;
    --s3proxy) s3proxy_jar="${2:?--s3proxy needs a value}"; shift 2 ;;
    --dir) parent="${2:?--dir needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "side-by-side: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

die() { echo "side-by-side: error: $*" >&2; exit 1; }
log() { echo "side-by-side: $*" >&2; }

# --- options ----------------------------------------------------------------------------------
sections="${sections#,}"
[ -n "$sections" ] || sections="receivewal,basebackup,syncstandby,startup"
want() { [[ ",$sections," == *",$1,"* ]]; }
IFS=, read -r -a section_list <<<"$sections"
for s in "${section_list[@]}"; do
  case "$s" in
    receivewal|basebackup|syncstandby|startup|objectstore) ;;
    *) die "--only: unknown section '$s' (receivewal, basebackup, syncstandby, startup, objectstore)" ;;
  esac
done
[[ "$gb" =~ ^[0-9]+([.][0-9]+)?$ ]] && awk -v g="$gb" 'BEGIN { exit !(g > 0) }' \
  || die "--gb must be a positive number, got '$gb'"
if [ -z "$rows" ]; then
  if [ -n "$quick" ]; then rows=700000; else rows=5500000; fi
fi
IFS=, read -r -a bb_case_list <<<"$bb_cases"
[ "${#bb_case_list[@]}" -gt 0 ] || die "--cases: no case given"
for c in "${bb_case_list[@]}"; do
  case "$c" in
    plain|plain-N|tar|tar-gzip|tar-lz4|tar-zstd) ;;
    *) die "--cases: unknown case '$c' (plain, plain-N, tar, tar-gzip, tar-lz4, tar-zstd)" ;;
  esac
done
case "$dataset" in
  pgbench|perfbar) ;;
  *) die "--dataset: unknown dataset '$dataset' (pgbench, perfbar)" ;;
esac
for v in runs scale rows tps_seconds clients startup_runs; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "--${v//_/-} must be a positive integer, got '${!v}'"
done
if [ -z "$out" ]; then
  if [ -n "$quick" ]; then out="$root/bench/results/quick"; else out="$root/docs/benchmarks"; fi
fi
if [ -z "$doc" ]; then
  if [ -n "$quick" ]; then doc="$out/benchmarks.md"; else doc="$root/docs/benchmarks.md"; fi
fi

tools=(initdb pg_ctl postgres psql)
want receivewal && tools+=(pg_receivewal)
want basebackup && tools+=(pg_basebackup pg_verifybackup pgbench)
want startup && tools+=(pg_receivewal pg_basebackup)
want syncstandby && tools+=(pg_receivewal pgbench)
want objectstore && tools+=(pg_receivewal pg_basebackup pgbench)
for tool in "${tools[@]}"; do
  [ -x "$pg_bin/$tool" ] || die "$pg_bin/$tool not found (use --pg-bin)"
done
command -v java >/dev/null || die "java is not on the PATH"
jar="$root/cli/target/jwalreceiver.jar"
[ -f "$jar" ] || die "$jar is missing: build the project first (mvn -B -q package -DskipTests)"
if [ -n "$before_jar" ]; then
  [ -f "$before_jar" ] || die "--before $before_jar: no such file"
  before_jar="$(cd "$(dirname "$before_jar")" && pwd -P)/$(basename "$before_jar")"
fi
if [ -n "$release_tarball" ]; then
  [ -f "$release_tarball" ] || die "--release $release_tarball: no such file"
  release_tarball="$(cd "$(dirname "$release_tarball")" && pwd -P)/$(basename "$release_tarball")"
fi
time_bin=/usr/bin/time
[ -x "$time_bin" ] && "$time_bin" -f %M -o /dev/null true 2>/dev/null \
  || die "$time_bin (GNU time, Debian's 'time' package) is needed for the max RSS of every row"
pgbackrest_bin="$(command -v pgbackrest || true)"
bench_jar="$root/bench/target/benchmarks.jar"
# (The objectstore section writes its own table: it alone needs no report generator.)
[ -z "$report" ] || ! { want receivewal || want basebackup || want syncstandby || want startup; } || [ -f "$bench_jar" ] \
  || die "$bench_jar is missing (it draws the charts): build the project first, or --no-report"
[ -d "$parent" ] || die "--dir $parent is not a directory"
! want objectstore || [ -f "$s3proxy_jar" ] || die "$s3proxy_jar is missing (use --s3proxy)"
[ -n "${BASH_VERSINFO[0]:-}" ] && [ "${BASH_VERSINFO[0]}" -ge 5 ] || die "needs bash 5 (EPOCHREALTIME)"
mkdir -p "$out" || die "cannot create $out"

# Nothing from the environment may point a client at another server.
while read -r var; do unset "$var"; done < <(compgen -e | grep '^PG' || true)

wal_bytes=$(awk -v g="$gb" 'BEGIN { printf "%.0f", g * 1073741824 }')
# The basebackup data in pgbench scale units (≈ 15 MiB each): the perf bar table is ≈ 282 bytes a
# row, 5.5 M rows ≈ scale 100.
bb_scale=$scale
[ "$dataset" = pgbench ] || bb_scale=$(( (rows + 54999) / 55000 ))
# Server WAL plus one run's two copies of it; the pgbench database (≈ 15 MiB per scale unit)
# plus two backups of it (and, with --dataset perfbar, its table).
need_mb=$(awk -v g="$gb" -v s="$scale" \
  -v p="$(want basebackup && [ "$dataset" = perfbar ] && echo "$bb_scale" || echo 0)" \
  -v r="$(want receivewal && echo 1 || echo 0)" \
  -v b="$(want basebackup || want syncstandby && echo 1 || echo 0)" \
  -v o="$(want objectstore && echo 1 || echo 0)" -v n="$runs" \
  'BEGIN { printf "%.0f", 1024 + r * 3 * g * 1024 + b * 5 * s * 16 + p * 5 * 16 + o * (4 * g * 1024 + 4 * s * 16) }')
avail_mb=$(( $(df -Pk "$parent" | awk 'NR == 2 { print $4 }') / 1024 ))
[ "$avail_mb" -ge "$need_mb" ] || die "$parent has $avail_mb MiB free, needs $need_mb MiB"

# --- the throwaway cluster ------------------------------------------------------------------
work="$(mktemp -d "$parent/jwalreceiver-side-by-side.XXXXXX")"
marker="$work/.created-by-side-by-side"
touch "$marker"
pgdata="$work/pgdata"
sock="$work/sock"
server_started=""
standby_pid=""
s3proxy_pid=""

if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the server"
  command -v runuser >/dev/null || die "running as root needs runuser"
  as_server() { runuser -u postgres -- "$@"; }
  chmod 755 "$work"
  server_owner=postgres
else
  as_server() { "$@"; }
  server_owner="$(id -un)"
fi

cleanup() {
  local rc=$?
  set +e
  if [ -n "$standby_pid" ]; then
    kill -TERM "$standby_pid" 2>/dev/null
    wait "$standby_pid" 2>/dev/null
  fi
  if [ -n "$s3proxy_pid" ]; then
    kill -TERM "$s3proxy_pid" 2>/dev/null
    wait "$s3proxy_pid" 2>/dev/null
  fi
  if [ -n "$server_started" ] && [ -f "$pgdata/postmaster.pid" ]; then
    as_server "$pg_bin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1
  fi
  # Only ever the directory this script created.
  if [ -n "${work:-}" ] && [ -f "$work/.created-by-side-by-side" ]; then
    rm -rf -- "$work"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# throwaway_free_port (a TCP port on 127.0.0.1 that nothing listens on), shared with profile.sh.
. "$root/bench/throwaway-server.sh"
free_port() { throwaway_free_port; }
port="$(free_port)" || die "no free port found"

password="$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
mkdir -m 700 "$pgdata" "$sock" "$work/srv"
printf '%s\n' "$password" >"$work/pwfile"
chmod 600 "$work/pwfile"
chown "$server_owner" "$pgdata" "$sock" "$work/srv" "$work/pwfile"

log "initdb into $pgdata (port $port, server user $server_owner)"
as_server "$pg_bin/initdb" -D "$pgdata" -U postgres --pwfile="$work/pwfile" \
  --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --no-locale >"$work/initdb.log" 2>&1 \
  || { cat "$work/initdb.log" >&2; die "initdb failed"; }
rm -f "$work/pwfile"
max_wal_mb=$(awk -v g="$gb" 'BEGIN { printf "%.0f", 2 * (g * 1024 + 2048) }')
as_server tee -a "$pgdata/postgresql.conf" >/dev/null <<EOF
# bench/side-by-side.sh; fsync, synchronous_commit and full_page_writes are off to generate data
# fast, and turned on for the syncstandby section.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
wal_level = replica
max_wal_senders = 10
max_replication_slots = $((4 * runs + 10))
max_slot_wal_keep_size = -1
max_wal_size = '${max_wal_mb}MB'
checkpoint_timeout = '1h'
fsync = off
synchronous_commit = off
full_page_writes = off
autovacuum = off
shared_buffers = '256MB'
wal_buffers = '64MB'
EOF
as_server "$pg_bin/pg_ctl" -D "$pgdata" -l "$work/srv/server.log" -w -t 60 start >/dev/null \
  || { cat "$work/srv/server.log" >&2; die "the server did not start"; }
server_started=1

export PGPASSWORD="$password"
conn=(-h 127.0.0.1 -p "$port" -U postgres)
sql() { "$pg_bin/psql" -X -q -At -v ON_ERROR_STOP=1 "${conn[@]}" -d "${2:-postgres}" -c "$1"; }

# Refuse to go on unless 127.0.0.1:$port is the cluster we just created.
[ "$(sql 'SHOW data_directory')" = "$(cd "$pgdata" && pwd -P)" ] \
  || [ "$(sql 'SHOW data_directory')" = "$pgdata" ] \
  || die "127.0.0.1:$port is not the throwaway cluster in $pgdata; refusing to go on"
server_version="$(sql 'SHOW server_version')"
seg_bytes="$(sql "SELECT setting::bigint * CASE unit WHEN 'B' THEN 1 WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = 'wal_segment_size'")"

# Warm the launcher's staleness check and the page cache of the jar and the binaries, untimed.
"$root/jwalreceiver" --version >/dev/null 2>&1 || die "$root/jwalreceiver --version failed"
for tool in pg_receivewal pg_basebackup; do [ -x "$pg_bin/$tool" ] && "$pg_bin/$tool" --version >/dev/null; done

# jwalreceiver runs as a release: a directory laid out like the tarball (bin/jwalreceiver, the
# checkout's dist/src/main/bin launcher; lib/jwalreceiver.jar; lib/jwalreceiver.jsa, the AppCDS
# archive dist/src/build/cds.sh makes at package time, when that script is there), built here for
# cli/target/jwalreceiver.jar (tool jwr) and for --before's jar (tool jwr-before). So both run
# through the same launcher with the same JVM options and the same kind of archive, and nothing
# rebuilds or swaps the jar during a run (the checkout's ./jwalreceiver would rebuild a stale jar;
# its JWALRECEIVER_JAR also turns the archive off).
cds_script="$root/dist/src/build/cds.sh"
cds_note=""
make_release() { # make_release NAME JAR|TARBALL: prints the release's launcher
  local rel="$work/release-$1" java_bin
  if [[ "$2" == *.tar.gz ]]; then
    # A release as shipped: its own launcher, jar and archive.
    mkdir -p "$rel"
    tar -xzf "$2" -C "$rel" --strip-components=1 || die "cannot unpack $2"
    [ -x "$rel/bin/jwalreceiver" ] || die "$2 has no bin/jwalreceiver"
  else
    # A jar: the checkout's launcher, and an archive made for this jar.
    mkdir -p "$rel/bin" "$rel/lib"
    cp "$root/dist/src/main/bin/jwalreceiver" "$rel/bin/jwalreceiver"
    chmod 755 "$rel/bin/jwalreceiver"
    cp "$2" "$rel/lib/jwalreceiver.jar"
    if [ -f "$cds_script" ]; then
      java_bin="$(readlink -f "$(command -v java)")"
      if ! bash "$cds_script" "$rel" "$java_bin" "$(date -u '+%Y-%m-%dT%H:%M:%SZ')" >"$work/cds-$1.log" 2>&1; then
        log "no AppCDS archive for $1: $cds_script failed ($(tail -n 1 "$work/cds-$1.log"))"
        rm -f "$rel/lib/jwalreceiver.jsa" "$rel/lib/jwalreceiver.jsa.runtime"
      fi
    fi
  fi
  "$rel/bin/jwalreceiver" --version >/dev/null 2>&1 || die "$rel/bin/jwalreceiver --version failed"
  echo "$rel/bin/jwalreceiver"
}
jwr_bin="$(make_release jwr "${release_tarball:-$jar}")"
jwr_tools=(jwr)
if [ -n "$before_jar" ]; then
  jwr_before_bin="$(make_release before "$before_jar")"
  jwr_tools+=(jwr-before)
fi
if [ -n "$release_tarball" ]; then
  cds_note="the release tarball $(basename "$release_tarball") as shipped (its launcher and AppCDS archive)"
elif [ -f "$work/release-jwr/lib/jwalreceiver.jsa" ]; then
  cds_note="the launcher with its AppCDS archive (dist/src/build/cds.sh, made here for each jar)"
else
  cds_note="the launcher without an AppCDS archive"
fi
log "jwalreceiver: $("$jwr_bin" --version 2>&1 | head -n 1) (${release_tarball:-$jar})${before_jar:+; jwr-before: $("$jwr_before_bin" --version 2>&1 | head -n 1) ($before_jar)}; $cds_note"
# jwr_cmd TOOL: the launcher of jwr or jwr-before.
jwr_cmd() { case "$1" in jwr) echo "$jwr_bin" ;; jwr-before) echo "$jwr_before_bin" ;; esac; }

# --- shared helpers ---------------------------------------------------------------------------

# The machine, the server and the invocation, as key=value lines (Java properties; values are
# single-line text).
describe() {
  local dev fs model
  fs="$(df -PT "$parent" | awk 'NR == 2 { print $2 }')"
  dev="$(df -PT "$parent" | awk 'NR == 2 { print $1 }')"
  model="$(lsblk -ndo MODEL "$dev" 2>/dev/null | sed 's/ *$//' || true)"
  cat <<EOF
date=$section_date
command=bench/side-by-side.sh $args_given
quick=${quick:-0}
runs=$runs
nproc=$(nproc)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
memory_kib=$(awk '/^MemTotal/ { print $2 }' /proc/meminfo)
kernel=$(uname -r)
output_fs=$fs
disk=$fs on $dev${model:+ ($model)}, rotational=$(cat "/sys/block/$(basename "$(readlink -f "$dev")" | sed 's/[0-9]*$//')/queue/rotational" 2>/dev/null || echo unknown)
load_before=$section_load
java=$(java -version 2>&1 | head -n 1)
server_version=$server_version
EOF
}

# Called when a section starts: its date and the load average before it, for describe().
section_start() {
  section_date="$(date -u '+%Y-%m-%d %H:%M UTC')"
  section_load="$(cut -d' ' -f1-3 /proc/loadavg)"
}

# ... | publish SECTION CSV TITLE WHAT: moves a finished section's results into $out (never half a
# run): the CSV, and the properties (describe's, the section's own from stdin, the load). Then
# starts the section's summary: a blank line and "== TITLE, N run(s), WHAT ==".
publish() {
  { describe; cat; echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)"; } >"$out/side-by-side-$1.properties"
  cp "$2" "$out/side-by-side-$1.csv"
  log "$1: results in $out/side-by-side-$1.csv"
  say ""
  say "== $3, $runs run(s), $4 =="
}

csv_header="section,case,tool,run,wall_s,user_s,sys_s,input_bytes,output_bytes,streaming_s,tps,max_rss_kib,cpu_s_per_gb"

# run_tool LOG LIMIT CMD...: runs CMD with a time limit; sets R_WALL (EPOCHREALTIME around it),
# R_USER, R_SYS (process tree, bash `time`), R_RSS (KiB, GNU time's %M: the largest process of
# the tree) and R_STREAM (seconds from the "starting log streaming" message to exit, or empty).
# stderr is time-stamped line by line into LOG.
run_tool() {
  local lf=$1 limit=$2; shift 2
  local tf="$lf.time" t0 t1 rc=0 from
  sync
  local TIMEFORMAT='%3R %3U %3S'
  t0=$EPOCHREALTIME
  set +e
  { { time timeout "$limit" "$time_bin" -f %M -o "$lf.rss" "$@" >/dev/null 2>&3; } 3>&2 2>"$tf"; } 2>&1 \
    | while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$lf"
  rc=${PIPESTATUS[0]}
  set -e
  t1=$EPOCHREALTIME
  if [ "$rc" -ne 0 ]; then
    sed 's/^[0-9.]* //' "$lf" >&2
    die "$* failed with exit code $rc"
  fi
  from="$(awk '/starting log streaming at/ { print $1; exit }' "$lf")"
  read -r _ R_USER R_SYS <"$tf"
  R_RSS="$(tail -n 1 "$lf.rss")"
  R_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
  R_STREAM=$([ -n "$from" ] && awk -v a="$from" -v b="$t1" 'BEGIN { printf "%.3f", b - a }' || true)
}

# cpu_gb USER SYS BYTES: client CPU seconds per GB (10^9 bytes), or empty.
cpu_gb() { awk -v u="$1" -v s="$2" -v b="$3" 'BEGIN { if (b > 0 && u != "" && s != "") printf "%.3f", (u + s) / (b / 1e9) }'; }

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# med CSV CASE TOOL COLUMN: median of a column over the runs of one case and tool.
med() { awk -F, -v c="$2" -v t="$3" -v k="$4" 'NR > 1 && $2 == c && $3 == t && $k != "" { print $k }' "$1" | median; }
# both CSV CASE K: "PG,JWR", the medians of column K for pg_* and for jwalreceiver in CASE (either
# may be empty); read them with IFS=, read -r.
both() { echo "$(med "$1" "$2" pg "$3"),$(med "$1" "$2" jwr "$3")"; }

# rows CSV K BYTES PROGRAM CASE...: says one summary line per CASE, formatted by the awk PROGRAM (a
# BEGIN block) from c (the case), b (BYTES), pw and jw (both tools' median wall seconds, column 5)
# and p2 and j2 (their medians of column K).
rows() {
  local csv=$1 k=$2 bytes=$3 program=$4 c pw jw p2 j2
  shift 4
  for c in "$@"; do
    IFS=, read -r pw jw <<<"$(both "$csv" "$c" 5)"
    IFS=, read -r p2 j2 <<<"$(both "$csv" "$c" "$k")"
    say "$(awk -v c="$c" -v b="$bytes" -v pw="$pw" -v jw="$jw" -v p2="$p2" -v j2="$j2" "$program")"
  done
}

# lo/hi CSV CASE TOOL COLUMN: the smallest / largest value of a column over the runs.
lo() { awk -F, -v c="$2" -v t="$3" -v k="$4" 'NR > 1 && $2 == c && $3 == t && $k != "" { print $k }' "$1" | sort -g | head -n 1; }
hi() { awk -F, -v c="$2" -v t="$3" -v k="$4" 'NR > 1 && $2 == c && $3 == t && $k != "" { print $k }' "$1" | sort -g | tail -n 1; }
# cpu_med CSV CASE TOOL: the median of user+sys.
cpu_med() { awk -F, -v c="$2" -v t="$3" 'NR > 1 && $2 == c && $3 == t && $6 != "" { print $6 + $7 }' "$1" | median; }

# detail CSV REF CASE...: one line per case and tool (in the CSV's order): wall median (min–max),
# client CPU, CPU/GB, max RSS, and the ratios wall ÷ REF's and CPU/GB ÷ REF's in the same case
# (cases without REF: against REF in the first case given). Ratios here are tool ÷ reference, so
# below 1.0 is faster / cheaper.
detail() {
  local csv=$1 ref=$2 c t first=$3 rc w wmin wmax cpu cg rss rw rg; shift 2
  say "$(printf '  %-16s %-11s %-22s %8s %8s %8s %7s %7s' case tool 'wall s med (min-max)' 'CPU s' 'CPU s/GB' 'RSS MiB' "wall/$ref" "CPU/GB/$ref")"
  for c in "$@"; do
    rc=$c
    [ -n "$(med "$csv" "$c" "$ref" 5)" ] || rc=$first
    for t in pg jwr jwr-before ceiling cp-sync pgbackrest; do
      [ -n "$(med "$csv" "$c" "$t" 5)" ] || continue
      w=$(med "$csv" "$c" "$t" 5); wmin=$(lo "$csv" "$c" "$t" 5); wmax=$(hi "$csv" "$c" "$t" 5)
      cpu=$(cpu_med "$csv" "$c" "$t"); cg=$(med "$csv" "$c" "$t" 13); rss=$(med "$csv" "$c" "$t" 12)
      rw=$(med "$csv" "$rc" "$ref" 5); rg=$(med "$csv" "$rc" "$ref" 13)
      say "$(awk -v c="$c" -v t="$t" -v w="$w" -v a="$wmin" -v z="$wmax" -v cpu="$cpu" -v cg="$cg" -v rss="$rss" -v rw="$rw" -v rg="$rg" 'BEGIN {
        printf "  %-16s %-11s %6.3f (%6.3f-%6.3f) %8.2f ", c, t, w, a, z, cpu
        if (cg == "") printf "%8s ", "-"; else printf "%8.3f ", cg
        if (rss == "") printf "%8s ", "-"; else printf "%8.1f ", rss / 1024
        if (rw > 0) printf "%7.2fx ", w / rw; else printf "%8s ", "-"
        if (rg > 0 && cg != "") printf "%7.2fx", cg / rg; else printf "%8s", "-" }')"
    done
  done
}

compare_segments() {
  local a=$1 b=$2 n=0 f
  for f in "$a"/*; do
    f="${f##*/}"
    [[ "$f" =~ ^[0-9A-F]{24}$ ]] || continue
    [ -f "$b/$f" ] || die "segment $f is in $a but not in $b"
    cmp -s "$a/$f" "$b/$f" || die "segment $f differs between $a and $b"
    n=$((n + 1))
  done
  for f in "$b"/*; do
    f="${f##*/}"
    [[ "$f" =~ ^[0-9A-F]{24}$ ]] || continue
    [ -f "$a/$f" ] || die "segment $f is in $b but not in $a"
  done
  [ "$n" -gt 0 ] || die "no completed segments to compare"
  echo "$n"
}

# generate_wal START: writes $wal_bytes of WAL from START, checkpoints, and prints the flush
# position E at the end of it (the --endpos); some WAL follows E.
generate_wal() {
  sql "DO \$\$
DECLARE
  target pg_lsn := '$1'::pg_lsn + $wal_bytes;
  payload text := (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 32768) i);
BEGIN
  WHILE pg_current_wal_insert_lsn() < target LOOP
    PERFORM pg_logical_emit_message(false, 'side-by-side', payload);
  END LOOP;
END
\$\$" >/dev/null
  sql 'CHECKPOINT' >/dev/null
  local endpos
  endpos="$(sql 'SELECT pg_current_wal_flush_lsn()')"
  # --endpos stops once the received position passes E: make sure there is WAL after it.
  sql "SELECT pg_logical_emit_message(true, 'side-by-side', repeat('x', 65536))" >/dev/null
  sql 'CHECKPOINT' >/dev/null
  echo "$endpos"
}

summary="$work/summary"
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }

# --- receivewal -------------------------------------------------------------------------------
section_receivewal() {
  local csv="$work/receivewal.csv" i mode flag segs
  local modes=(default synchronous)
  echo "$csv_header" >"$csv"
  sql 'CHECKPOINT' >/dev/null
  local rw_tools=(pg "${jwr_tools[@]}") t
  for i in $(seq 1 "$runs"); do
    for mode in "${modes[@]}"; do
      for t in "${rw_tools[@]}"; do
        sql "SELECT pg_create_physical_replication_slot('rw_${t//-/_}_${mode}_$i', true)" >/dev/null
      done
    done
  done
  local starts start_lsn stream_start endpos stream_bytes gen_t0
  starts="$(sql "SELECT count(DISTINCT restart_lsn) FROM pg_replication_slots WHERE slot_name LIKE 'rw\_%'")"
  [ "$starts" = 1 ] || die "the slots did not reserve the same start ($starts distinct restart_lsn)"
  start_lsn="$(sql "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'rw_pg_default_1'")"
  stream_start="$(sql "SELECT '$start_lsn'::pg_lsn - (('$start_lsn'::pg_lsn - '0/0'::pg_lsn) % $seg_bytes)")"

  log "receivewal: generating $gb GiB of WAL from $start_lsn"
  gen_t0=$EPOCHREALTIME
  endpos="$(generate_wal "$start_lsn")"
  stream_bytes="$(sql "SELECT '$endpos'::pg_lsn - '$stream_start'::pg_lsn")"
  log "receivewal: WAL ready in $(awk -v a="$gen_t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s: streaming $stream_start .. $endpos ($stream_bytes bytes) per tool"

  local limit
  limit=$(awk -v g="$gb" 'BEGIN { printf "%.0f", 300 + g * 900 }')
  one() { # one MODE TOOL RUN DIR CMD...
    local m=$1 t=$2 r=$3 d=$4; shift 4
    mkdir -m 700 "$d"
    run_tool "$work/log.rw.$m.$t.$r" "$limit" "$@"
    local cg
    cg="$(cpu_gb "$R_USER" "$R_SYS" "$stream_bytes")"
    echo "receivewal,$m,$t,$r,$R_WALL,$R_USER,$R_SYS,$stream_bytes,,$R_STREAM,,$R_RSS,$cg" >>"$csv"
    log "receivewal $m $t run $r: wall $R_WALL s, user $R_USER s, sys $R_SYS s ($cg s/GB), max RSS $R_RSS KiB, from streaming start ${R_STREAM:--} s"
  }
  local n_tools=${#rw_tools[@]} j
  for i in $(seq 1 "$runs"); do
    for mode in "${modes[@]}"; do
      flag=()
      [ "$mode" = synchronous ] && flag=(--synchronous)
      # The order rotates between runs: pg jwr [jwr-before], jwr [jwr-before] pg, ...
      for j in $(seq 0 $((n_tools - 1))); do
        t=${rw_tools[$(((j + i - 1) % n_tools))]}
        local d="$work/rw-$t-$mode-$i" slot="rw_${t//-/_}_${mode}_$i"
        if [ "$t" = pg ]; then
          one "$mode" pg "$i" "$d" "$pg_bin/pg_receivewal" "${conn[@]}" -D "$d" -S "$slot" --endpos "$endpos" --no-loop -v "${flag[@]}"
        else
          one "$mode" "$t" "$i" "$d" "$(jwr_cmd "$t")" receivewal "${conn[@]}" -D "$d" -S "$slot" --endpos "$endpos" --no-loop -v "${flag[@]}"
        fi
      done
      for t in "${jwr_tools[@]}"; do
        segs="$(compare_segments "$work/rw-pg-$mode-$i" "$work/rw-$t-$mode-$i")"
        log "receivewal $mode run $i: $segs completed segments of $t byte-identical to pg_receivewal's"
      done
      for t in "${rw_tools[@]}"; do rm -rf -- "$work/rw-$t-$mode-$i"; done
    done
  done
  for i in $(seq 1 "$runs"); do
    for mode in "${modes[@]}"; do
      for t in "${rw_tools[@]}"; do
        sql "SELECT pg_drop_replication_slot('rw_${t//-/_}_${mode}_$i')" >/dev/null
      done
    done
  done
  sql 'CHECKPOINT' >/dev/null

  { echo "wal_bytes=$stream_bytes"
    echo "wal_range=$stream_start .. $endpos"
    echo "jwalreceiver=$cds_note${before_jar:+; jwr-before = $before_jar}"
    echo "notes=fsync on in every tool (default durability); TCP 127.0.0.1; catch-up from a slot; completed segments byte-identical (cmp) in every run; CPU = user+sys of the process tree, CPU/GB per GB of WAL streamed, max RSS = GNU time %M"
  } | publish receivewal "$csv" "receivewal: catch-up over $stream_bytes bytes of WAL" medians
  rows "$csv" 10 "$stream_bytes" 'BEGIN {
    printf "%-12s pg_receivewal %7.3f s (%6.1f MB/s)  jwalreceiver %7.3f s (%6.1f MB/s)  ratio %.3f", c, pw, b / 1e6 / pw, jw, b / 1e6 / jw, pw / jw
    if (p2 != "" && j2 != "" && j2 > 0) printf "  (streaming phase %.3f)", p2 / j2 }' "${modes[@]}"
  detail "$csv" pg "${modes[@]}"
}

# --- the pgbench database ---------------------------------------------------------------------
pgbench_ready=""
ensure_pgbench() {
  [ -z "$pgbench_ready" ] || return 0
  log "pgbench -i -s $scale (about $((scale * 15)) MB)"
  sql 'CREATE DATABASE bench' >/dev/null
  "$pg_bin/pgbench" "${conn[@]}" -i -q -s "$scale" bench >"$work/pgbench-init.log" 2>&1 \
    || { cat "$work/pgbench-init.log" >&2; die "pgbench -i failed"; }
  sql 'CHECKPOINT' >/dev/null
  pgbench_ready=1
}

# --- the perf bar's table (basebackup --dataset perfbar) ----------------------------------------
# Issue #19's perf bar: one table of $rows rows of md5 plus 200 bytes of text (29 rows a page,
# ≈ 282 bytes a row; 5.5 M rows: pg_database_size 1.56 GB), in a database of its own; vacuumed as
# pgbench -i leaves its tables (hint bits set, visibility map), then checkpointed.
perfbar_ready=""
ensure_perfbar() {
  [ -z "$perfbar_ready" ] || return 0
  log "perf bar table: $rows rows of md5(g::text) and 200 bytes of text"
  sql 'CREATE DATABASE perfbar' >/dev/null
  sql "CREATE TABLE perfbar AS SELECT g AS id, md5(g::text) AS h, repeat('x', 200) AS pad FROM generate_series(1, $rows) g" perfbar >/dev/null
  sql 'VACUUM ANALYZE perfbar' perfbar >/dev/null
  sql 'CHECKPOINT' >/dev/null
  log "perf bar database: $(sql "SELECT pg_size_pretty(pg_database_size('perfbar'))") ($(sql "SELECT pg_database_size('perfbar')") bytes)"
  perfbar_ready=1
}

# --- basebackup -------------------------------------------------------------------------------
section_basebackup() {
  local csv="$work/basebackup.csv"
  local cases=("${bb_case_list[@]}") i k c j t data_bytes="" db_bytes
  local dataset_note dataset_title
  echo "$csv_header" >"$csv"
  if [ "$dataset" = perfbar ]; then
    ensure_perfbar
    dataset_note="perfbar: one table of $rows rows, id int, md5(g::text), repeat('x', 200), $(sql "SELECT pg_database_size('perfbar')") bytes (pg_database_size)"
    dataset_title="the perf bar table, $rows rows"
  else
    ensure_pgbench
    dataset_note="pgbench -i -s $scale, $(sql "SELECT pg_database_size('bench')") bytes (pg_database_size)"
    dataset_title="pgbench scale $scale"
  fi
  db_bytes="$(sql 'SELECT sum(pg_database_size(oid)) FROM pg_database')"
  local limit=$((300 + bb_scale * 6))
  # pgBackRest runs as the server's user (it reads the data directory itself), with a repository
  # of its own per run under the work directory.
  local pgbr_note="not installed: no pgBackRest row" server_prefix=()
  [ "$(id -u)" -ne 0 ] || server_prefix=(runuser -u postgres --)
  if [ -n "$pgbackrest_bin" ]; then
    pgbr_note="$("$pgbackrest_bin" version), full backup, local posix repo on the same disk, compress-type=zst (level default), process-max=2, start-fast=y, archive-check=n (the server has no archive_command; the backup's WAL is not checked in an archive), as user $server_owner over the Unix socket"
  else
    log "basebackup: pgbackrest is not installed (apt-get install pgbackrest): no pgBackRest row"
  fi
  case_flags() {
    case "$1" in
      plain) echo "-Fp" ;;
      plain-N) echo "-Fp -N" ;;
      tar) echo "-Ft" ;;
      tar-gzip) echo "-Ft -z" ;;
      tar-lz4) echo "-Ft -Z client-lz4" ;;
      tar-zstd) echo "-Ft -Z client-zstd" ;;
    esac
  }
  one() { # one CASE TOOL RUN DIR CMD...: DIR empty when there is no output to measure
    local c=$1 t=$2 r=$3 d=$4 size=""; shift 4
    run_tool "$work/log.bb.$c.$t.$r" "$limit" "$@"
    [ -z "$d" ] || size="$(du -sb "$d" | cut -f1)"
    if [ "$c" = plain ] && [ "$t" = pg ] && [ -z "$data_bytes" ]; then data_bytes=$size; fi
    # input_bytes and cpu_s_per_gb are filled in at the end, from the plain backup's size.
    echo "basebackup,$c,$t,$r,$R_WALL,$R_USER,$R_SYS,,$size,,,$R_RSS," >>"$csv"
    log "basebackup $c $t run $r: wall $R_WALL s, user $R_USER s, sys $R_SYS s, max RSS $R_RSS KiB${size:+, $size bytes}"
  }
  pgbr() { # pgbr RUN ARGS...: pgbackrest with run RUN's configuration, as the server's user
    local r=$1; shift
    "${server_prefix[@]}" "$pgbackrest_bin" --config="$work/pgbr-$r/pgbackrest.conf" --stanza=bench "$@"
  }
  pgbr_setup() { # pgbr_setup RUN: a fresh repository and stanza (untimed)
    local r=$1 base="$work/pgbr-$1"
    mkdir -p "$base/repo" "$base/log" "$base/lock" "$base/spool"
    cat >"$base/pgbackrest.conf" <<CONF
[global]
repo1-path=$base/repo
compress-type=zst
process-max=2
start-fast=y
archive-check=n
log-path=$base/log
lock-path=$base/lock
spool-path=$base/spool
log-level-console=warn
log-level-file=off

[bench]
pg1-path=$pgdata
pg1-port=$port
pg1-socket-path=$sock
pg1-user=postgres
CONF
    chown -R "$server_owner" "$base"
    pgbr "$r" stanza-create >"$base/stanza-create.log" 2>&1 \
      || { cat "$base/stanza-create.log" >&2; die "pgbackrest stanza-create failed"; }
  }
  job() { # job CASE TOOL RUN
    local c=$1 t=$2 r=$3 d="$work/bb-$2-$1-$3" flags
    # shellcheck disable=SC2207
    flags=($(case_flags "$c"))
    case "$t" in
      pg) one "$c" pg "$r" "$d" "$pg_bin/pg_basebackup" "${conn[@]}" -D "$d" "${flags[@]}" -X stream -c fast ;;
      jwr|jwr-before) one "$c" "$t" "$r" "$d" "$(jwr_cmd "$t")" basebackup "${conn[@]}" -D "$d" "${flags[@]}" -X stream -c fast ;;
      ceiling)
        # What the server sends when nothing is written: one tar stream to /dev/null.
        one ceiling ceiling "$r" "" "$pg_bin/pg_basebackup" "${conn[@]}" -D - -Ft -X fetch -c fast ;;
      cp-sync)
        # The machine's own copy limit for the same files: cp -a of the data directory without
        # pg_wal's contents (a plain backup streams its WAL apart; -X stream's is small) into a
        # fresh directory, then sync, as one timed command. The server is idle and checkpointed
        # (untimed), so the files are the ones a backup starting now would read.
        sql 'CHECKPOINT' >/dev/null
        # shellcheck disable=SC2016 # expanded by the inner bash
        one cp-sync cp-sync "$r" "$d" bash -c 'set -e
shopt -s dotglob extglob
cd "$1"
mkdir "$2"
cp -a -- !(pg_wal) "$2"/
mkdir -m 700 "$2/pg_wal"
sync' cp-sync "$pgdata" "$d"
        rm -rf -- "$d" ;;
      pgbackrest)
        pgbr_setup "$r"
        one pgbackrest pgbackrest "$r" "$work/pgbr-$r/repo/backup" "${server_prefix[@]}" "$pgbackrest_bin" \
          --config="$work/pgbr-$r/pgbackrest.conf" --stanza=bench --type=full backup
        pgbr "$r" info >"$work/pgbr-$r/info.log" 2>&1 && grep -q 'full backup' "$work/pgbr-$r/info.log" \
          || { cat "$work/pgbr-$r/info.log" >&2; die "pgbackrest info shows no full backup"; }
        rm -rf -- "$work/pgbr-$r" ;;
    esac
  }
  check_output() { # check_output CASE DIR: untimed validity check of one backup
    local c=$1 d=$2 f
    case "$c" in
      plain|plain-N)
        "$pg_bin/pg_verifybackup" -q "$d" >"$work/verify.log" 2>&1 \
          || { cat "$work/verify.log" >&2; die "pg_verifybackup failed on $d"; } ;;
      tar)
        for f in base.tar pg_wal.tar backup_manifest; do [ -s "$d/$f" ] || die "$d/$f is missing"; done
        tar -tf "$d/base.tar" >/dev/null || die "tar -t failed on $d/base.tar" ;;
      *)
        local ext tester
        case "$c" in
          tar-gzip) ext=gz; tester=(gzip -t) ;;
          tar-lz4) ext=lz4; tester=(lz4 -t -q) ;;
          tar-zstd) ext=zst; tester=(zstd -t -q) ;;
        esac
        # pg_basebackup 15 compresses pg_wal.tar with gzip only; with lz4 and zstd it stays
        # uncompressed.
        [ -s "$d/base.tar.$ext" ] || die "$d/base.tar.$ext is missing"
        [ -s "$d/pg_wal.tar.$ext" ] || [ -s "$d/pg_wal.tar" ] || die "$d/pg_wal.tar[.$ext] is missing"
        if command -v "${tester[0]}" >/dev/null; then
          for f in "$d"/*."$ext"; do
            "${tester[@]}" "$f" || die "${tester[*]} failed on $f"
          done
        fi
        [ -s "$d/backup_manifest" ] || die "$d/backup_manifest is missing" ;;
    esac
  }
  local group n
  for i in $(seq 1 "$runs"); do
    for k in "${!cases[@]}"; do
      c=${cases[$k]}
      # The tools of a case run one after the other, the order rotating between runs and cases;
      # the send ceiling, cp -a && sync and pgBackRest join the plain case's rotation.
      group=(pg "${jwr_tools[@]}")
      if [ "$c" = plain ]; then
        group+=(ceiling cp-sync)
        [ -z "$pgbackrest_bin" ] || group+=(pgbackrest)
      fi
      n=${#group[@]}
      for j in $(seq 0 $((n - 1))); do
        job "$c" "${group[$(((j + i + k - 1) % n))]}" "$i"
      done
      for t in pg "${jwr_tools[@]}"; do check_output "$c" "$work/bb-$t-$c-$i"; done
      [ "$i" -gt 1 ] || log "basebackup $c files: pg_basebackup $(cd "$work/bb-pg-$c-$i" && ls | tr '\n' ' ')| jwalreceiver $(cd "$work/bb-jwr-$c-$i" && ls | tr '\n' ' ')"
      for t in pg "${jwr_tools[@]}"; do rm -rf -- "$work/bb-$t-$c-$i"; done
    done
  done
  # Every row's CPU per GB of the plain backup (what every case reads from the server).
  local backup_bytes=${data_bytes:-$db_bytes}
  awk -F, -v OFS=, -v b="$backup_bytes" 'NR == 1 { print; next }
    { $8 = b; if ($6 != "" && $7 != "") $13 = sprintf("%.3f", ($6 + $7) / (b / 1e9)); print }' "$csv" >"$csv.new"
  mv "$csv.new" "$csv"

  { [ "$dataset" = perfbar ] || echo "pgbench_scale=$scale"
    [ "$dataset" = pgbench ] || echo "perfbar_rows=$rows"
    echo "dataset=$dataset_note"
    echo "database_bytes=$db_bytes"
    echo "backup_bytes=$backup_bytes"
    echo "jwalreceiver=$cds_note${before_jar:+; jwr-before = $before_jar}"
    echo "pgbackrest=$pgbr_note"
    echo "ceiling=pg_basebackup -Ft -D - -X fetch -c fast >/dev/null: the server's send rate with nothing written"
    echo "cp_sync=cp -a of the data directory except pg_wal's contents (an empty pg_wal), into a fresh directory, && sync, as one command; the server idle after a CHECKPOINT: the machine's copy limit for the files a plain backup copies"
    echo "notes=-X stream -c fast for pg_basebackup and jwalreceiver, default durability (both fsync the output), TCP 127.0.0.1; plain backups pass pg_verifybackup, tar has its three files, compressed archives pass gzip/lz4/zstd -t; CPU = user+sys of the process tree, CPU/GB per GB of the plain backup, max RSS = GNU time %M (the largest process); ceiling, cp -a && sync and pgBackRest rotate with the plain case"
  } | publish basebackup "$csv" "basebackup: $dataset_title ($db_bytes bytes of databases)" medians
  rows "$csv" 9 "$backup_bytes" 'BEGIN {
    printf "%-9s pg_basebackup %7.3f s (%6.1f MB/s, %5.0f MB)  jwalreceiver %7.3f s (%6.1f MB/s, %5.0f MB)  ratio %.3f", c, pw, b / 1e6 / pw, p2 / 1e6, jw, b / 1e6 / jw, j2 / 1e6, pw / jw }' "${cases[@]}"
  local cases_out=("${cases[@]}" ceiling cp-sync)
  [ -z "$pgbackrest_bin" ] || cases_out+=(pgbackrest)
  detail "$csv" pg "${cases_out[@]}"
  [ -n "$pgbackrest_bin" ] || say "  pgBackRest: $pgbr_note"
  local ceil cps wall
  ceil=$(med "$csv" ceiling ceiling 5)
  cps=$(med "$csv" cp-sync cp-sync 5)
  # versus TOOL WALL REFERENCE REFERENCE_WALL: one "plain wall / reference wall" line.
  versus() {
    say "$(awk -v t="$1" -v w="$2" -v r="$3" -v c="$4" 'BEGIN {
      if (w != "" && c > 0) printf "  plain %s wall / %s wall (%.3f s): %.2fx", t, r, c, w / c }')"
  }
  for t in pg "${jwr_tools[@]}"; do
    wall=$(med "$csv" plain "$t" 5)
    versus "$t" "$wall" "send ceiling" "$ceil"
    versus "$t" "$wall" "cp -a && sync" "$cps"
  done
}

# --- synchronous standby ----------------------------------------------------------------------
section_syncstandby() {
  local csv="$work/syncstandby.csv" i k t
  local standbys=(none pg jwr)
  echo "$csv_header" >"$csv"
  ensure_pgbench
  # A primary with durable commits that waits for its synchronous standby's flush.
  sql "ALTER SYSTEM SET fsync = on" >/dev/null
  sql "ALTER SYSTEM SET synchronous_commit = on" >/dev/null
  sql "ALTER SYSTEM SET full_page_writes = on" >/dev/null
  sql "SELECT pg_reload_conf()" >/dev/null
  sleep 1
  [ "$(sql 'SHOW synchronous_commit')" = on ] && [ "$(sql 'SHOW fsync')" = on ] \
    || die "the server did not take synchronous_commit=on, fsync=on"

  wait_for() { # wait_for SQL EXPECTED SECONDS
    local n=0
    while [ "$(sql "$1")" != "$2" ]; do
      n=$((n + 1))
      [ "$n" -le $(($3 * 10)) ] || return 1
      sleep 0.1
    done
  }
  one() { # one TOOL RUN
    local t=$1 r=$2 d="$work/ss-$1-$2" slot="ss_$1_$2" tps plog="$work/log.ss.$1.$2"
    if [ "$t" != none ]; then
      mkdir -m 700 "$d"
      sql "SELECT pg_create_physical_replication_slot('$slot', true)" >/dev/null
      local cmd
      if [ "$t" = pg ]; then
        cmd=("$pg_bin/pg_receivewal" "${conn[@]}" -D "$d" -S "$slot" --synchronous --no-loop -v)
      else
        cmd=("$jwr_bin" receivewal "${conn[@]}" -D "$d" -S "$slot" --synchronous --no-loop -v)
      fi
      "${cmd[@]}" >"$plog.standby" 2>&1 &
      standby_pid=$!
      # Both tools connect as application_name pg_receivewal.
      wait_for "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg_receivewal' AND state = 'streaming'" 1 60 \
        || { cat "$plog.standby" >&2; die "$t did not start streaming"; }
      sql "ALTER SYSTEM SET synchronous_standby_names = 'pg_receivewal'" >/dev/null
      sql "SELECT pg_reload_conf()" >/dev/null
      wait_for "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'pg_receivewal'" sync 30 \
        || { cat "$plog.standby" >&2; die "$t did not become the synchronous standby"; }
    fi
    sql 'CHECKPOINT' >/dev/null
    timeout $((tps_seconds + 300)) "$pg_bin/pgbench" "${conn[@]}" -T "$tps_seconds" -c "$clients" -j "$(nproc)" bench \
      >"$plog" 2>&1 || { cat "$plog" >&2; [ -z "$standby_pid" ] || cat "$plog.standby" >&2; die "pgbench failed with $t as the standby"; }
    tps="$(awk '/^tps = / { print $3; exit }' "$plog")"
    [ -n "$tps" ] || { cat "$plog" >&2; die "no tps in the pgbench output"; }
    if [ "$t" != none ]; then
      [ "$(sql "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'pg_receivewal'")" = sync ] \
        || { cat "$plog.standby" >&2; die "$t stopped being the synchronous standby during pgbench"; }
      sql "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
      sql "SELECT pg_reload_conf()" >/dev/null
      # SIGTERM, not SIGINT: a background job of a non-interactive shell starts with SIGINT
      # ignored, and a JVM then never sees it. Both tools stop cleanly on SIGTERM.
      kill -TERM "$standby_pid"
      wait "$standby_pid" || true
      standby_pid=""
      wait_for "SELECT count(*) FROM pg_stat_replication" 0 30 || die "$t did not disconnect"
      sql "SELECT pg_drop_replication_slot('$slot')" >/dev/null
      rm -rf -- "$d"
    fi
    echo "syncstandby,pgbench,$t,$r,$tps_seconds,,,,,,$tps,," >>"$csv"
    log "syncstandby standby=$t run $r: $tps tps"
  }
  for i in $(seq 1 "$runs"); do
    for k in 0 1 2; do
      # Rotate the order between runs: none pg jwr, pg jwr none, jwr none pg, ...
      one "${standbys[$(((k + i - 1) % 3))]}" "$i"
    done
  done
  sql "ALTER SYSTEM RESET synchronous_commit" >/dev/null
  sql "ALTER SYSTEM RESET fsync" >/dev/null
  sql "ALTER SYSTEM RESET full_page_writes" >/dev/null
  sql "SELECT pg_reload_conf()" >/dev/null

  { echo "pgbench_scale=$scale"
    echo "pgbench=pgbench -T $tps_seconds -c $clients -j $(nproc) (TPC-B-like)"
    echo "notes=primary with fsync=on, synchronous_commit=on, synchronous_standby_names=pg_receivewal; the standby runs --synchronous -S slot on the same machine over TCP 127.0.0.1; 'none' is the same pgbench without a synchronous standby"
  } | publish syncstandby "$csv" "synchronous standby: pgbench -T $tps_seconds -c $clients, scale $scale" "median TPS"
  local none pg jwr
  none=$(med "$csv" pgbench none 11); pg=$(med "$csv" pgbench pg 11); jwr=$(med "$csv" pgbench jwr 11)
  say "$(awk -v n="$none" -v p="$pg" -v j="$jwr" 'BEGIN {
    printf "no standby %.1f tps; pg_receivewal --synchronous %.1f tps; jwalreceiver --synchronous %.1f tps; ratio %.3f", n, p, j, j / p }')"
}

# --- start-up ---------------------------------------------------------------------------------
# The short commands, each run STARTUP_RUNS times, interleaved (every command once per round, the
# order rotating): wall (EPOCHREALTIME), CPU and max RSS of each. pg_receivewal --version runs
# through a link named pg_receivewal to the release's launcher (as `jwalreceiver install-links`
# makes for a checkout), the way Barman calls it.
section_startup() {
  local csv="$work/startup.csv" i j n t c links="$work/links"
  echo "$csv_header" >"$csv"
  mkdir -p "$links"
  ln -sfn "$jwr_bin" "$links/pg_receivewal"
  local jobs=()
  for t in "${jwr_tools[@]}"; do
    jobs+=("version|$t" "link-version|$t" "help|$t" "basebackup-help|$t")
  done
  jobs+=("version|pg" "link-version|pg" "basebackup-help|pg")
  startup_cmd() { # startup_cmd CASE TOOL: sets CMD
    local bin
    case "$2" in
      pg)
        case "$1" in
          version) CMD=("$pg_bin/pg_basebackup" --version) ;;
          link-version) CMD=("$pg_bin/pg_receivewal" --version) ;;
          basebackup-help) CMD=("$pg_bin/pg_basebackup" --help) ;;
        esac ;;
      *)
        bin="$(jwr_cmd "$2")"
        case "$1" in
          version) CMD=("$bin" --version) ;;
          link-version)
            # A link named pg_receivewal: for jwr-before a second directory keeps the name.
            if [ "$2" = jwr ]; then CMD=("$links/pg_receivewal" --version)
            else mkdir -p "$links/before"; ln -sfn "$bin" "$links/before/pg_receivewal"; CMD=("$links/before/pg_receivewal" --version); fi ;;
          help) CMD=("$bin" --help) ;;
          basebackup-help) CMD=("$bin" basebackup --help) ;;
        esac ;;
    esac
  }
  n=${#jobs[@]}
  for i in $(seq 1 "$startup_runs"); do
    for j in $(seq 0 $((n - 1))); do
      IFS='|' read -r c t <<<"${jobs[$(((j + i - 1) % n))]}"
      startup_cmd "$c" "$t"
      run_tool "$work/log.su.$c.$t.$i" 60 "${CMD[@]}"
      echo "startup,$c,$t,$i,$R_WALL,$R_USER,$R_SYS,,,,,$R_RSS," >>"$csv"
    done
  done
  { echo "startup_runs=$startup_runs"
    echo "jwalreceiver=$cds_note${before_jar:+; jwr-before = $before_jar}"
    echo "commands=version: jwalreceiver --version (pg: pg_basebackup --version); link-version: pg_receivewal --version through a link named pg_receivewal to the release's bin/jwalreceiver (pg: the real pg_receivewal --version); help: jwalreceiver --help; basebackup-help: jwalreceiver basebackup --help (pg: pg_basebackup --help)"
    echo "notes=$startup_runs interleaved rounds, every command once per round, the order rotating; wall from EPOCHREALTIME around the process (after a sync), CPU = user+sys, max RSS = GNU time %M; page cache warm"
  } | runs=$startup_runs publish startup "$csv" "start-up of the short commands" "median (min)"
  say "$(printf '  %-16s %-11s %9s %9s %8s %8s' case tool 'wall med' 'wall min' 'CPU s' 'RSS MiB')"
  for c in version link-version help basebackup-help; do
    for t in "${jwr_tools[@]}" pg; do
      [ -n "$(med "$csv" "$c" "$t" 5)" ] || continue
      say "$(awk -v c="$c" -v t="$t" -v w="$(med "$csv" "$c" "$t" 5)" -v m="$(lo "$csv" "$c" "$t" 5)" \
        -v cpu="$(cpu_med "$csv" "$c" "$t")" -v rss="$(med "$csv" "$c" "$t" 12)" \
        'BEGIN { printf "  %-16s %-11s %8.3fs %8.3fs %8.3f %8.1f", c, t, w, m, cpu, rss / 1024 }')"
    done
  done
}

# --- objectstore ------------------------------------------------------------------------------
# S3Proxy (filesystem backend under $work/s3) on loopback; our jar alone gets its endpoint and
# credentials through the AWS_* environment. A bucket is a directory of the backend, and an
# object a file under it, so the script counts and compares objects on disk.
s3_port=""
store_env=()
s3_data="$work/s3/data"
start_s3proxy() {
  [ -z "$s3proxy_pid" ] || return 0
  s3_port="$(free_port)" || die "no free port for S3Proxy"
  mkdir -p "$s3_data/bench"
  cat >"$work/s3/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$s3_port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=side-by-side
s3proxy.credential=side-by-side-secret
jclouds.provider=filesystem
jclouds.filesystem.basedir=$s3_data
CONF
  java -Xmx256m -jar "$s3proxy_jar" --properties "$work/s3/s3proxy.conf" >"$work/s3/s3proxy.log" 2>&1 &
  s3proxy_pid=$!
  local n=0
  until (exec 3<>"/dev/tcp/127.0.0.1/$s3_port") 2>/dev/null; do
    kill -0 "$s3proxy_pid" 2>/dev/null || { cat "$work/s3/s3proxy.log" >&2; s3proxy_pid=""; die "S3Proxy exited at start"; }
    n=$((n + 1)); [ "$n" -le 600 ] || die "S3Proxy is not listening on port $s3_port after 60 s"
    sleep 0.1
  done
  # The store's endpoint and credentials, for our jar only (a prefix to its command).
  store_env=(env AWS_ENDPOINT_URL="http://127.0.0.1:$s3_port" AWS_REGION=us-east-1
    AWS_ACCESS_KEY_ID=side-by-side AWS_SECRET_ACCESS_KEY=side-by-side-secret)
  log "objectstore: S3Proxy $(basename "$s3proxy_jar") on 127.0.0.1:$s3_port, backend $s3_data"
}
stop_s3proxy() {
  [ -n "$s3proxy_pid" ] || return 0
  kill -TERM "$s3proxy_pid" 2>/dev/null || true
  wait "$s3proxy_pid" 2>/dev/null || true
  s3proxy_pid=""
}
# count_segments DIR: completed WAL segments (24 hex digits, any compression suffix) in DIR.
count_segments() {
  find "$1" -maxdepth 1 -type f -printf '%f\n' 2>/dev/null | grep -cE '^[0-9A-F]{24}(\.(gz|lz4|zst))?$' || true
}

section_objectstore() {
  local csv="$work/objectstore.csv" i k c t
  local rw_tools=(pg jwr jwr-s3)
  echo "section,case,tool,run,wall_s,user_s,sys_s,input_bytes,output_bytes,store_s,peak_rss_kib,stored_at_exit" >"$csv"
  start_s3proxy

  # one SECTION CASE TOOL RUN INPUT OUTPUT_PATH CMD...: timed run with peak RSS; appends a row
  # (store_s filled in later by the caller through O_STORE).
  O_STORE=""
  one() {
    local sec=$1 c=$2 t=$3 r=$4 input=$5 path=$6 rss size; shift 6
    local lf="$work/log.os.$sec.$c.$t.$r"
    run_tool "$lf" "$limit" "$@"
    rss="$R_RSS"
    size="$(du -sb "$path" | cut -f1)"
    echo "$sec,$c,$t,$r,$R_WALL,$R_USER,$R_SYS,$input,$size,$O_STORE,$rss" >>"$csv"
    log "objectstore $sec $c $t run $r: wall $R_WALL s, user $R_USER s, sys $R_SYS s, $size bytes out${O_STORE:+, all in the store after $O_STORE s}${rss:+, peak RSS $rss KiB}"
    O_STORE=""
  }

  # ---- receivewal: catch-up from a slot, local only vs --target s3:// ----
  sql 'CHECKPOINT' >/dev/null
  for i in $(seq 1 "$runs"); do
    for t in pg jwr jwr_s3; do
      sql "SELECT pg_create_physical_replication_slot('os_${t}_$i', true)" >/dev/null
    done
  done
  local starts start_lsn stream_start endpos stream_bytes expected
  starts="$(sql "SELECT count(DISTINCT restart_lsn) FROM pg_replication_slots WHERE slot_name LIKE 'os\_%'")"
  [ "$starts" = 1 ] || die "the slots did not reserve the same start ($starts distinct restart_lsn)"
  start_lsn="$(sql "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'os_pg_1'")"
  stream_start="$(sql "SELECT '$start_lsn'::pg_lsn - (('$start_lsn'::pg_lsn - '0/0'::pg_lsn) % $seg_bytes)")"
  log "objectstore: generating $gb GiB of WAL from $start_lsn"
  endpos="$(generate_wal "$start_lsn")"
  stream_bytes="$(sql "SELECT '$endpos'::pg_lsn - '$stream_start'::pg_lsn")"
  # The completed segments of [stream_start, endpos): the segment holding endpos stays .partial.
  expected=$(( stream_bytes / seg_bytes ))
  log "objectstore: streaming $stream_start .. $endpos ($stream_bytes bytes, $expected completed segments) per tool"

  local limit
  limit=$(awk -v g="$gb" 'BEGIN { printf "%.0f", 300 + g * 900 }')
  rw_one() { # rw_one TOOL RUN
    local t=$1 r=$2 d="$work/os-rw-$1-$2" slot="os_${1//-/_}_$2"
    mkdir -m 700 "$d"
    case "$t" in
      pg) one receivewal catch-up pg "$r" "$stream_bytes" "$d" \
            "$pg_bin/pg_receivewal" "${conn[@]}" -D "$d" -S "$slot" --endpos "$endpos" --no-loop -v ;;
      jwr) one receivewal catch-up jwr "$r" "$stream_bytes" "$d" \
            "$root/jwalreceiver" receivewal "${conn[@]}" -D "$d" -S "$slot" --endpos "$endpos" --no-loop -v ;;
      jwr-s3)
        # A poller notes when the last completed segment appears in the backend; receivewal
        # itself drains uploads for up to 30 s after --endpos before it exits.
        local sd="$s3_data/bench/rw-$r/wal" t0 mark="$work/os-rw-mark-$r" poller
        sync
        t0=$EPOCHREALTIME
        # (The subshell must not run the script's clean-up when it ends.)
        ( trap - EXIT INT TERM
          while [ "$(count_segments "$sd")" -lt "$expected" ]; do sleep 0.05; done
          echo "$EPOCHREALTIME" >"$mark" ) &
        poller=$!
        one receivewal catch-up jwr-s3-exit "$r" "$stream_bytes" "$d" \
          "${store_env[@]}" "$root/jwalreceiver" receivewal "${conn[@]}" -D "$d" -S "$slot" --endpos "$endpos" --no-loop -v \
          --target "s3://bench/rw-$r"
        local at_exit n=0
        at_exit="$(count_segments "$sd")"
        while kill -0 "$poller" 2>/dev/null; do
          n=$((n + 1)); [ "$n" -le 20 ] || { kill "$poller" 2>/dev/null; wait "$poller" 2>/dev/null || true; break; }
          sleep 0.1
        done
        wait "$poller" 2>/dev/null || true
        # The time until all completed segments were in the store, and how many were there when
        # the process exited, on its row. A backlog the 30 s drain did not finish is a result, not
        # an error: store_s stays empty and stored_at_exit says how far it got.
        local store_s=""
        if [ -f "$mark" ]; then
          store_s="$(awk -v a="$t0" -v b="$(cat "$mark")" 'BEGIN { printf "%.3f", b - a }')"
          log "objectstore receivewal jwr-s3 run $r: all $expected completed segments in the store after $store_s s (process exit: $R_WALL s)"
        else
          log "objectstore receivewal jwr-s3 run $r: the process exited after $R_WALL s with $at_exit of $expected completed segments in the store (the 30 s drain at --endpos ran out)"
        fi
        sed -i '$ s/,jwr-s3-exit,\([^,]*\),\([^,]*\),\([^,]*\),\([^,]*\),\([^,]*\),\([^,]*\),,\(.*\)$/,jwr-s3,\1,\2,\3,\4,\5,\6,'"$store_s"',\7,'"$at_exit"'/' "$csv"
        rm -f "$mark" ;;
    esac
  }
  for i in $(seq 1 "$runs"); do
    for k in 0 1 2; do
      rw_one "${rw_tools[$(((k + i - 1) % 3))]}" "$i"
    done
    local segs
    segs="$(compare_segments "$work/os-rw-pg-$i" "$work/os-rw-jwr-$i")"
    # The store holds every completed segment, byte-identical to pg_receivewal's.
    local f n=0
    for f in "$work/os-rw-pg-$i"/*; do
      f="${f##*/}"
      [[ "$f" =~ ^[0-9A-F]{24}$ ]] || continue
      [ -e "$s3_data/bench/rw-$i/wal/$f" ] || continue
      cmp -s "$work/os-rw-pg-$i/$f" "$s3_data/bench/rw-$i/wal/$f" || die "segment $f in the store differs from pg_receivewal's"
      n=$((n + 1))
    done
    [ "$segs" = "$expected" ] || die "expected $expected completed segments, pg_receivewal vs jwalreceiver $segs"
    [ "$n" = "$(awk -F, -v r="$i" 'NR > 1 && $3 == "jwr-s3" && $4 == r { print $12 }' "$csv")" ] \
      || die "run $i: $n completed segments in the store now, not as many as when receivewal --target exited"
    log "objectstore receivewal run $i: $segs completed segments byte-identical locally, $n of them in the store (identical too)"
    rm -rf -- "$work/os-rw-pg-$i" "$work/os-rw-jwr-$i" "$work/os-rw-jwr-s3-$i" "${s3_data:?}/bench/rw-$i"
  done
  for i in $(seq 1 "$runs"); do
    sql "SELECT pg_drop_replication_slot('os_pg_$i'), pg_drop_replication_slot('os_jwr_$i'), pg_drop_replication_slot('os_jwr_s3_$i')" >/dev/null
  done
  sql 'CHECKPOINT' >/dev/null

  # ---- basebackup: -F t -D vs -t s3:// ----
  ensure_pgbench
  local db_bytes cases=(tar tar-lz4) bb_tools=(pg jwr jwr-s3)
  db_bytes="$(sql 'SELECT sum(pg_database_size(oid)) FROM pg_database')"
  limit=$((300 + scale * 6))
  bb_one() { # bb_one CASE TOOL RUN
    local c=$1 t=$2 r=$3 z=() d="$work/os-bb-$1-$2-$3"
    [ "$c" = tar-lz4 ] && z=(-Z client-lz4)
    case "$t" in
      pg) one basebackup "$c" pg "$r" "$db_bytes" "$d" \
            "$pg_bin/pg_basebackup" "${conn[@]}" -D "$d" -F t "${z[@]}" -X fetch -c fast ;;
      jwr) one basebackup "$c" jwr "$r" "$db_bytes" "$d" \
            "$root/jwalreceiver" basebackup "${conn[@]}" -D "$d" -F t "${z[@]}" -X fetch -c fast ;;
      jwr-s3)
        # The process exits once the manifest is stored: its wall time is the time to the store.
        d="$s3_data/bench/bb-$c-$r"
        one basebackup "$c" jwr-s3 "$r" "$db_bytes" "$d" \
          "${store_env[@]}" "$root/jwalreceiver" basebackup "${conn[@]}" -t "s3://bench/bb-$c-$r" "${z[@]}" -X fetch -c fast ;;
    esac
  }
  for i in $(seq 1 "$runs"); do
    for k in "${!cases[@]}"; do
      c=${cases[$k]}
      local j
      for j in 0 1 2; do
        bb_one "$c" "${bb_tools[$(((j + i + k - 1) % 3))]}" "$i"
      done
      # The stored backup holds the files of -F t -D, with a manifest.
      local sd
      sd="$(find "$s3_data/bench/bb-$c-$i/basebackups" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
      [ -n "$sd" ] && [ -s "$sd/backup_manifest" ] || die "no complete backup in the store for $c run $i"
      [ "$(cd "$sd" && ls | sort | tr '\n' ' ')" = "$(cd "$work/os-bb-$c-jwr-$i" && ls | sort | tr '\n' ' ')" ] \
        || die "the stored backup ($(ls "$sd" | tr '\n' ' ')) has other files than -F t -D ($(ls "$work/os-bb-$c-jwr-$i" | tr '\n' ' '))"
      if [ "$c" = tar-lz4 ] && command -v lz4 >/dev/null; then
        lz4 -t -q "$sd/base.tar.lz4" || die "lz4 -t failed on the stored base.tar.lz4"
      fi
      [ "$i" -gt 1 ] || log "objectstore basebackup $c files: store $(ls "$sd" | tr '\n' ' ')| pg_basebackup $(ls "$work/os-bb-$c-pg-$i" | tr '\n' ' ')"
      rm -rf -- "$work/os-bb-$c-pg-$i" "$work/os-bb-$c-jwr-$i" "${s3_data:?}/bench/bb-$c-$i"
    done
  done
  stop_s3proxy

  { echo "wal_bytes=$stream_bytes"
    echo "wal_range=$stream_start .. $endpos"
    echo "pgbench_scale=$scale"
    echo "database_bytes=$db_bytes"
    echo "s3proxy=$(basename "$s3proxy_jar"), filesystem backend on the same disk, 127.0.0.1"
    echo "notes=receivewal: catch-up from a slot, default durability; jwr-s3 = --target s3://, store_s = until every completed segment is an object (empty when the process exited first; stored_at_exit = the completed segments stored when it exited), wall_s = until the process exited (it drains uploads at --endpos). basebackup: -X fetch -c fast, -F t (-Z client-lz4 for tar-lz4); jwr-s3 = -t s3://, which exits after the manifest is stored. peak_rss_kib from /usr/bin/time -f %M (the tool's process, S3Proxy not included). Stored segments are cmp-identical to pg_receivewal's; a stored backup has the files of -F t -D."
  } | publish objectstore "$csv" "objectstore: S3Proxy on loopback, WAL $stream_bytes bytes, pgbench scale $scale ($db_bytes bytes)" medians

  # A Markdown table, written by this script (the report generator does not chart this section).
  local md="$out/side-by-side-objectstore.md" row
  mo() { awk -F, -v s="$1" -v c="$2" -v t="$3" -v k="$4" 'NR > 1 && $1 == s && $2 == c && $3 == t && $k != "" { print $k }' "$csv" | median; }
  {
    echo "| what | tool | median time (s) | MB/s | vs local only | peak RSS (MiB) |"
    echo "|---|---|---:|---:|---:|---:|"
    local base pw jw sw se rss
    pw=$(mo receivewal catch-up pg 5); jw=$(mo receivewal catch-up jwr 5)
    sw=$(mo receivewal catch-up jwr-s3 10); se=$(mo receivewal catch-up jwr-s3 5)
    for row in "pg_receivewal (reference)|$pw|pg" "jwalreceiver receivewal, local only|$jw|jwr" \
               "jwalreceiver receivewal --target s3://, all segments stored|$sw|jwr-s3" \
               "jwalreceiver receivewal --target s3://, process exited|$se|jwr-s3"; do
      IFS='|' read -r label v t <<<"$row"
      rss=$(mo receivewal catch-up "$t" 11)
      awk -v l="$label" -v v="$v" -v b="$stream_bytes" -v base="$jw" -v rss="$rss" \
        'BEGIN { r = rss == "" ? "–" : sprintf("%.0f", rss / 1024)
          if (v == "") printf "| WAL catch-up | %s | – (see below) | – | – | %s |\n", l, r
          else printf "| WAL catch-up | %s | %.2f | %.1f | %.2f× | %s |\n", l, v, b / 1e6 / v, v / base, r }'
    done
    for c in "${cases[@]}"; do
      base=$(mo basebackup "$c" jwr 5)
      for row in "pg_basebackup -F t (reference)|pg" "jwalreceiver basebackup -F t -D|jwr" "jwalreceiver basebackup -t s3://|jwr-s3"; do
        IFS='|' read -r label t <<<"$row"
        v=$(mo basebackup "$c" "$t" 5); rss=$(mo basebackup "$c" "$t" 11)
        awk -v l="$label" -v c="$c" -v v="$v" -v b="$db_bytes" -v base="$base" -v rss="$rss" \
          'BEGIN { printf "| base backup %s | %s | %.2f | %.1f | %.2f× | %s |\n", c, l, v, b / 1e6 / v, v / base, rss == "" ? "–" : sprintf("%.0f", rss / 1024) }'
      done
    done
    local short
    short="$(awk -F, -v e="$expected" 'NR > 1 && $3 == "jwr-s3" && $1 == "receivewal" && $12 != e { printf "%s%s", (n++ ? ", " : ""), $12 }' "$csv")"
    [ -z "$short" ] || echo "
receivewal --target: in $(tr ',' '\n' <<<"$short" | wc -l) of $runs run(s) the process exited before every completed segment was stored (the 30 s drain at --endpos ran out; stored at exit: $short of $expected); \"all segments stored\" is the median of the other runs."
  } >"$md"
  cat "$md" | tee -a "$summary"
  say "(vs local only: time / jwalreceiver's local-only time, > 1 = slower; MB/s over the WAL streamed or the databases' size)"
}

# --- run --------------------------------------------------------------------------------------
t_start=$EPOCHREALTIME
want receivewal && { section_start; section_receivewal; }
want basebackup && { section_start; section_basebackup; }
want syncstandby && { section_start; section_syncstandby; }
want startup && { section_start; section_startup; }
want objectstore && { section_start; section_objectstore; }

echo
echo "== side-by-side: PostgreSQL $server_version, $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') =="
echo "ratios: > 1.0 means jwalreceiver is faster (time: PostgreSQL tool / jwalreceiver; TPS: jwalreceiver / pg_receivewal)"
echo "per-tool lines: wall/pg and CPU/GB/pg are tool / PostgreSQL tool in the same case (ceiling, cp -a && sync, pgBackRest: / plain), < 1.0 = faster or cheaper"
cat "$summary"
echo "total $(awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s; raw results in $out"

if [ -n "$report" ] && { want receivewal || want basebackup || want syncstandby || want startup; }; then
  java -Djava.awt.headless=true -cp "$bench_jar" io.jwalreceiver.bench.report.SideBySideReport \
    --results "$out" --doc "$doc" || die "the report generator failed"
fi
