#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Side by side: pg_receivewal and `jwalreceiver receivewal` stream the same WAL from the same
# throwaway PostgreSQL server, in one run, with default durability (fsync on) on both sides.
#
#   bench/side-by-side-receivewal.sh [--gb N] [--runs N] [--quick] [--pg-bin DIR] [--dir PARENT]
#
# What it does (docs/benchmarks.md has the details):
#   1. initdb a new cluster into a fresh temporary directory (as user postgres via runuser when
#      run as root), listening on 127.0.0.1 on a free port and on a socket in that directory only,
#      with SCRAM and a random password; fsync=off on the SERVER so WAL is generated fast.
#   2. create one pair of physical slots per run (same restart_lsn for all), then generate >= N GiB
#      of WAL with pg_logical_emit_message; E = the flushed end; a little more WAL after E.
#   3. per run, on fresh directories: time pg_receivewal and jwalreceiver receivewal with
#      -S <slot> --endpos E --no-loop (wall, user+sys CPU); the order alternates between runs.
#   4. check that the completed segments of both are byte-identical (cmp), then print medians:
#      MB/s, the ratio pg_receivewal time / jwalreceiver time (>= 1.0: jwalreceiver is faster),
#      CPU seconds per GiB, and the same times measured from "starting log streaming" (no JVM
#      startup, no connection set-up).
#   5. stop the server and delete everything it created, on any exit (trap).
#
# It never touches another PostgreSQL instance: every PG* variable is cleared, every client gets
# explicit -h/-p/-U, and the server is checked to be the one in our directory before use.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/side-by-side-receivewal.sh [options]
  --gb N         GiB of WAL to stream per tool and run (default 1; decimals allowed, e.g. 0.2)
  --runs N       runs per tool; the median is reported (default 3)
  --quick        smoke test: --gb 0.2 --runs 1
  --pg-bin DIR   PostgreSQL bin directory (default /usr/lib/postgresql/15/bin)
  --dir PARENT   where the temporary directory goes: cluster and both output directories
                 (default ${TMPDIR:-/tmp}); its filesystem decides what fsync costs
  -h, --help     this text
Needs: the project built (cli/target/jwalreceiver.jar), java 17+ on the PATH, and runuser plus a
"postgres" user when run as root.
EOF
}

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gb=1
runs=3
pg_bin=/usr/lib/postgresql/15/bin
parent="${TMPDIR:-/tmp}"

while [ $# -gt 0 ]; do
  case "$1" in
    --gb) gb="${2:?--gb needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --quick) gb=0.2; runs=1; shift ;;
    --pg-bin) pg_bin="${2:?--pg-bin needs a value}"; shift 2 ;;
    --dir) parent="${2:?--dir needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "side-by-side: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done

die() { echo "side-by-side: error: $*" >&2; exit 1; }
log() { echo "side-by-side: $*" >&2; }

[[ "$gb" =~ ^[0-9]+([.][0-9]+)?$ ]] && awk -v g="$gb" 'BEGIN { exit !(g > 0) }' \
  || die "--gb must be a positive number, got '$gb'"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$runs'"
for tool in initdb pg_ctl postgres psql pg_receivewal; do
  [ -x "$pg_bin/$tool" ] || die "$pg_bin/$tool not found (use --pg-bin)"
done
command -v java >/dev/null || die "java is not on the PATH"
jar="$root/cli/target/jwalreceiver.jar"
[ -f "$jar" ] || die "$jar is missing: build the project first (mvn -B -q install -DskipTests)"
[ -d "$parent" ] || die "--dir $parent is not a directory"
[ -n "${BASH_VERSINFO[0]:-}" ] && [ "${BASH_VERSINFO[0]}" -ge 5 ] || die "needs bash 5 (EPOCHREALTIME)"

# Nothing from the environment may point a client at another server.
while read -r var; do unset "$var"; done < <(compgen -e | grep '^PG' || true)

wal_bytes=$(awk -v g="$gb" 'BEGIN { printf "%.0f", g * 1073741824 }')
need_kb=$(awk -v g="$gb" 'BEGIN { printf "%.0f", (3 * g + 1) * 1048576 }')
avail_kb=$(df -Pk "$parent" | awk 'NR == 2 { print $4 }')
[ "$avail_kb" -ge "$need_kb" ] || die "$parent has $((avail_kb / 1024)) MiB free, needs $((need_kb / 1024)) MiB"

# --- the throwaway cluster ------------------------------------------------------------------
work="$(mktemp -d "$parent/jwalreceiver-side-by-side.XXXXXX")"
marker="$work/.created-by-side-by-side-receivewal"
touch "$marker"
pgdata="$work/pgdata"
sock="$work/sock"
server_started=""

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
  if [ -n "$server_started" ] && [ -f "$pgdata/postmaster.pid" ]; then
    as_server "$pg_bin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1
  fi
  # Only ever the directory this script created.
  if [ -n "${work:-}" ] && [ -f "$work/.created-by-side-by-side-receivewal" ]; then
    rm -rf -- "$work"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      if ! command -v ss >/dev/null || ! ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then
        echo "$p"; return 0
      fi
    fi
  done
  return 1
}
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
keep_mb=$(awk -v g="$gb" 'BEGIN { printf "%.0f", g * 1024 + 2048 }')
as_server tee -a "$pgdata/postgresql.conf" >/dev/null <<EOF
# side-by-side-receivewal.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$sock'
wal_level = replica
max_wal_senders = 10
max_replication_slots = $((2 * runs + 4))
max_slot_wal_keep_size = -1
wal_keep_size = '${keep_mb}MB'
max_wal_size = '$((keep_mb * 2))MB'
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
sql() { "$pg_bin/psql" -X -q -At -v ON_ERROR_STOP=1 "${conn[@]}" -d postgres -c "$1"; }

# Refuse to go on unless 127.0.0.1:$port is the cluster we just created.
[ "$(sql 'SHOW data_directory')" = "$(cd "$pgdata" && pwd -P)" ] \
  || [ "$(sql 'SHOW data_directory')" = "$pgdata" ] \
  || die "127.0.0.1:$port is not the throwaway cluster in $pgdata; refusing to go on"
server_version="$(sql 'SHOW server_version')"
seg_bytes="$(sql "SELECT setting::bigint * CASE unit WHEN 'B' THEN 1 WHEN 'kB' THEN 1024 WHEN 'MB' THEN 1048576 ELSE 1 END FROM pg_settings WHERE name = 'wal_segment_size'")"

# --- slots and WAL ---------------------------------------------------------------------------
sql 'CHECKPOINT' >/dev/null
for i in $(seq 1 "$runs"); do
  sql "SELECT pg_create_physical_replication_slot('bench_pg_$i', true)" >/dev/null
  sql "SELECT pg_create_physical_replication_slot('bench_jwr_$i', true)" >/dev/null
done
starts="$(sql "SELECT count(DISTINCT restart_lsn) FROM pg_replication_slots WHERE slot_name LIKE 'bench_%'")"
[ "$starts" = 1 ] || die "the slots did not reserve the same start ($starts distinct restart_lsn)"
start_lsn="$(sql "SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'bench_pg_1'")"
stream_start="$(sql "SELECT '$start_lsn'::pg_lsn - (('$start_lsn'::pg_lsn - '0/0'::pg_lsn) % $seg_bytes)")"

log "generating $gb GiB of WAL from $start_lsn"
gen_t0=$EPOCHREALTIME
sql "DO \$\$
DECLARE
  target pg_lsn := '$start_lsn'::pg_lsn + $wal_bytes;
  payload text := (SELECT string_agg(md5(i::text), '') FROM generate_series(1, 32768) i);
BEGIN
  WHILE pg_current_wal_insert_lsn() < target LOOP
    PERFORM pg_logical_emit_message(false, 'side-by-side', payload);
  END LOOP;
END
\$\$" >/dev/null
sql 'CHECKPOINT' >/dev/null
endpos="$(sql 'SELECT pg_current_wal_flush_lsn()')"
# --endpos stops once the received position passes E: make sure there is WAL after it.
sql "SELECT pg_logical_emit_message(true, 'side-by-side', repeat('x', 65536))" >/dev/null
sql 'CHECKPOINT' >/dev/null
stream_bytes="$(sql "SELECT '$endpos'::pg_lsn - '$stream_start'::pg_lsn")"
log "WAL ready in $(awk -v a="$gen_t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s: streaming $stream_start .. $endpos ($stream_bytes bytes) per tool"

# --- runs -------------------------------------------------------------------------------------
# Warm the launcher's staleness check and the page cache of the jar and the binaries, untimed.
"$root/jwalreceiver" --version >/dev/null 2>&1 || die "$root/jwalreceiver --version failed"
"$pg_bin/pg_receivewal" --version >/dev/null

limit=$(awk -v g="$gb" 'BEGIN { printf "%.0f", 300 + g * 600 }')
results="$work/results"
: >"$results"

# run_tool NAME RUN DIR CMD...: appends "NAME RUN wall user sys streaming" to $results.
run_tool() {
  local name=$1 run=$2 dir=$3; shift 3
  local tf="$work/time.$name.$run" lf="$work/log.$name.$run" t0 t1 rc=0
  mkdir -m 700 "$dir"
  sync
  local TIMEFORMAT='%3R %3U %3S'
  t0=$EPOCHREALTIME
  # stderr (the -v messages) is time-stamped line by line; `time` reports to $tf.
  set +e
  { { time timeout "$limit" "$@" >/dev/null 2>&3; } 3>&2 2>"$tf"; } 2>&1 \
    | while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$lf"
  rc=${PIPESTATUS[0]}
  set -e
  t1=$EPOCHREALTIME
  if [ "$rc" -ne 0 ]; then
    sed 's/^[0-9.]* //' "$lf" >&2
    die "$name (run $run) failed with exit code $rc"
  fi
  local streamed_from
  streamed_from="$(awk '/starting log streaming at/ { print $1; exit }' "$lf")"
  read -r _ user sys <"$tf"
  awk -v n="$name" -v r="$run" -v t0="$t0" -v t1="$t1" -v u="$user" -v s="$sys" -v f="$streamed_from" \
    'BEGIN { printf "%s %s %.3f %s %s %s\n", n, r, t1 - t0, u, s, (f == "" ? "-" : sprintf("%.3f", t1 - f)) }' \
    >>"$results"
  log "$(tail -n 1 "$results" | awk '{ printf "%-4s run %s: wall %s s, user %s s, sys %s s, from streaming start %s s", $1, $2, $3, $4, $5, $6 }')"
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

for i in $(seq 1 "$runs"); do
  pg_dir="$work/out-pg-$i"
  jwr_dir="$work/out-jwr-$i"
  pg_cmd=("$pg_bin/pg_receivewal" "${conn[@]}" -D "$pg_dir" -S "bench_pg_$i" --endpos "$endpos" --no-loop -v)
  jwr_cmd=("$root/jwalreceiver" receivewal "${conn[@]}" -D "$jwr_dir" -S "bench_jwr_$i" --endpos "$endpos" --no-loop -v)
  if [ $((i % 2)) -eq 1 ]; then
    run_tool pg "$i" "$pg_dir" "${pg_cmd[@]}"
    run_tool jwr "$i" "$jwr_dir" "${jwr_cmd[@]}"
  else
    run_tool jwr "$i" "$jwr_dir" "${jwr_cmd[@]}"
    run_tool pg "$i" "$pg_dir" "${pg_cmd[@]}"
  fi
  segs="$(compare_segments "$pg_dir" "$jwr_dir")"
  log "run $i: $segs completed segments byte-identical"
  rm -rf -- "$pg_dir" "$jwr_dir"
done

# --- report -----------------------------------------------------------------------------------
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v n="$1" -v c="$2" '$1 == n { print $c }' "$results" | median; }
cpu() { awk -v n="$1" '$1 == n { printf "%.3f\n", $4 + $5 }' "$results" | median; }

pg_wall=$(col pg 3); jwr_wall=$(col jwr 3)
pg_cpu=$(cpu pg); jwr_cpu=$(cpu jwr)
pg_stream=$(col pg 6); jwr_stream=$(col jwr 6)

echo
echo "== side-by-side receivewal: PostgreSQL $server_version, $runs run(s) per tool, medians =="
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); output on $(df -PT "$parent" | awk 'NR == 2 { print $2 " (" $1 ")" }') under $parent"
echo "WAL streamed per tool: $stream_bytes bytes ($stream_start .. $endpos), fsync on (default durability), TCP 127.0.0.1"
awk -v b="$stream_bytes" -v pw="$pg_wall" -v jw="$jwr_wall" -v pc="$pg_cpu" -v jc="$jwr_cpu" \
    -v ps="$pg_stream" -v js="$jwr_stream" 'BEGIN {
  gib = b / 1073741824
  printf "%-28s %10s %10s %12s %14s %14s\n", "tool", "wall s", "MB/s", "CPU s", "CPU s/GiB", "streaming s"
  printf "%-28s %10.3f %10.1f %12.3f %14.3f %14s\n", "pg_receivewal", pw, b / 1e6 / pw, pc, pc / gib, ps
  printf "%-28s %10.3f %10.1f %12.3f %14.3f %14s\n", "jwalreceiver receivewal", jw, b / 1e6 / jw, jc, jc / gib, js
  printf "ratio pg_receivewal / jwalreceiver wall time: %.3f (>= 1.0: jwalreceiver is faster; JVM start-up included)\n", pw / jw
  if (ps != "-" && js != "-" && js > 0)
    printf "ratio from \"starting log streaming\" to exit:  %.3f (no start-up or connection set-up)\n", ps / js
  printf "CPU (user+sys) per GiB: pg_receivewal %.3f s, jwalreceiver %.3f s\n", pc / gib, jc / gib
}'
echo "all runs (tool run wall user sys streaming):"
sed 's/^/  /' "$results"
echo "completed segments were byte-identical (cmp) in every run"
