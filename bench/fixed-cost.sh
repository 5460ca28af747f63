#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# What one run costs before any volume (issue #19): pg_basebackup and jwalreceiver, interleaved,
# on a freshly initdb'd cluster (about 40 MB, no user data), so a backup's client CPU is almost all
# fixed cost; then one run of jwalreceiver under async-profiler (CPU, every thread, with kernel
# frames) and one counting page faults, broken down by where the fixed cost goes. Writes
# fixed-cost.csv, fixed-cost.md (the tables), and the flame graphs fixed-cost-cpu.html and
# fixed-cost-page-faults.html to the output directory. docs/benchmarks.md ("The fixed cost of a
# run") discusses a run of it.
#
# jwalreceiver runs as shipped: from a release tarball, through its launcher under the name
# pg_basebackup, with its JVM options and CDS archive. The server starts as bench/profile.sh's
# (bench/throwaway-server.sh: the unprivileged "postgres" user when run as root, 127.0.0.1 on a
# free port, scram, a random password); the script deletes only what it created.
set -euo pipefail
usage() {
  cat <<'EOF'
Usage: bench/fixed-cost.sh [options]
  --release FILE   the release tarball to run (default: dist/target/jwalreceiver-*.tar.gz)
  --runs N         interleaved runs per tool and case; medians are reported (default 7)
  --out DIR        results (default docs/benchmarks/fixed-cost)
  --pg-bin DIR     PostgreSQL binaries (default /usr/lib/postgresql/15/bin)
  --dir PARENT     where the temporary cluster and backups go (default ${TMPDIR:-/tmp})
  -h, --help       this text
Cases: plain (-X stream -c fast), plain -N, tar (-F t). Needs: the release tarball, java 17+ and mvn
(async-profiler 4.2 is fetched through Maven, as bench/profile.sh does), GNU time
(/usr/bin/time), and runuser plus a "postgres" user when run as root.
EOF
}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
release=""
runs=7
out="$root/docs/benchmarks/fixed-cost"
pg_bin=/usr/lib/postgresql/15/bin
parent="${TMPDIR:-/tmp}"
ap_version=4.2
while [ $# -gt 0 ]; do
  case "$1" in
    --release) release="${2:?--release needs a value}"; shift 2 ;;
    --runs) runs="${2:?--runs needs a value}"; shift 2 ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    --pg-bin) pg_bin="${2:?--pg-bin needs a value}"; shift 2 ;;
    --dir) parent="${2:?--dir needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "fixed-cost: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
done
die() { echo "fixed-cost: error: $*" >&2; exit 1; }
log() { echo "fixed-cost: $*" >&2; }

if [ -z "$release" ]; then
  shopt -s nullglob
  candidates=("$root"/dist/target/jwalreceiver-*.tar.gz)
  shopt -u nullglob
  [ "${#candidates[@]}" -eq 1 ] || die "no single dist/target/jwalreceiver-*.tar.gz: build it or use --release"
  release="${candidates[0]}"
fi
[ -f "$release" ] || die "--release $release is not a file"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer, got '$runs'"
for tool in initdb pg_ctl psql pg_basebackup; do
  [ -x "$pg_bin/$tool" ] || die "$pg_bin/$tool not found (use --pg-bin)"
done
for tool in java mvn unzip; do command -v "$tool" >/dev/null || die "$tool is not on the PATH"; done
[ -x /usr/bin/time ] || die "needs GNU time in /usr/bin/time"
mkdir -p "$out" || die "cannot create $out"
out="$(cd "$out" && pwd)"
while read -r var; do unset "$var"; done < <(compgen -e | grep '^PG' || true)

# --- async-profiler, through Maven only (bench/async-profiler.sh, the tools bench/profile.sh keeps) --
# shellcheck source=bench/async-profiler.sh
. "$root/bench/async-profiler.sh"
async_profiler_fetch "$root/bench/results/profiles/tools" "$ap_version"

# --- the release, the cluster --------------------------------------------------------------------
# shellcheck source=bench/throwaway-server.sh
. "$root/bench/throwaway-server.sh"
# $work, deleted on exit with the server stopped (only ever the directory made here).
throwaway_work_dir "$parent" fixed-cost

mkdir "$work/release" "$work/bin"
tar -xzf "$release" -C "$work/release"
launcher="$(echo "$work"/release/*/bin/jwalreceiver)"
[ -x "$launcher" ] || die "$release has no */bin/jwalreceiver"
ln -s "$launcher" "$work/bin/pg_basebackup"
version="$("$work/bin/pg_basebackup" --version)"

throwaway_server_owner
throwaway_server_start "wal_level = replica
max_wal_senders = 10"
sql 'CHECKPOINT' >/dev/null
cluster_bytes="$(sql 'SELECT sum(pg_database_size(oid)) FROM pg_database')"

# --- interleaved runs ---------------------------------------------------------------------------
csv="$out/fixed-cost.csv"
echo "case,tool,run,user_s,sys_s,wall_s,max_rss_kib,minor_faults,major_faults" >"$csv"
# timed CASE TOOL RUN BINARY FLAGS...: one backup into a fresh target, after sync. ($conn is
# set by throwaway_server_start.)
# shellcheck disable=SC2154
timed() {
  local c=$1 tool=$2 run=$3 bin=$4
  shift 4
  rm -rf -- "$work/bb"
  sync
  /usr/bin/time -f '%U,%S,%e,%M,%R,%F' -o "$work/time" \
    "$bin" "${conn[@]}" -D "$work/bb" -X stream -c fast "$@" >"$work/run.log" 2>&1 \
    || { cat "$work/run.log" >&2; die "$tool $c failed"; }
  echo "$c,$tool,$run,$(tail -1 "$work/time")" >>"$csv"
}
log "$runs interleaved runs of plain, plain -N and tar per tool, $cluster_bytes bytes of databases"
for i in $(seq 1 "$runs"); do
  for c in plain plain-N tar; do
    case "$c" in
      plain) flags=() ;;
      plain-N) flags=(-N) ;;
      tar) flags=(-F t) ;;
    esac
    timed "$c" pg_basebackup "$i" "$pg_bin/pg_basebackup" "${flags[@]}"
    timed "$c" jwalreceiver "$i" "$work/bin/pg_basebackup" "${flags[@]}"
  done
done

# --- one profiled run of each kind --------------------------------------------------------------
# profiled EVENT INTERVAL NAME: plain -N under the agent (JWALRECEIVER_JAVA_OPTS comes after the
# launcher's own options), collapsed stacks per thread and an HTML flame graph: two runs, as the
# agent writes one format per run (a JFR recording would serve both for CPU, but its page-fault
# counts do not match the agent's own); the tables read the collapsed run.
profiled() {
  local event=$1 interval=$2 name=$3 f
  for f in collapsed html; do
    rm -rf -- "$work/bb"
    sync
    JWALRECEIVER_JAVA_OPTS="-agentpath:$agent=start,event=$event,interval=$interval,threads,file=$work/$name.$f" \
      "$work/bin/pg_basebackup" "${conn[@]}" -D "$work/bb" -X stream -c fast -N >"$work/run.log" 2>&1 \
      || { cat "$work/run.log" >&2; die "profiled run ($event) failed"; }
  done
  cp "$work/$name.html" "$out/$name.html"
}
profiled cpu 200000 fixed-cost-cpu
profiled page-faults 1 fixed-cost-page-faults

# --- the tables ---------------------------------------------------------------------------------
# Medians per case and tool.
medians="$(awk -F, 'NR > 1 {
    k = $1 "," $2; n[k]++; cpu[k, n[k]] = $4 + $5; usr[k, n[k]] = $4; sys[k, n[k]] = $5
    wall[k, n[k]] = $6; rss[k, n[k]] = $7; flt[k, n[k]] = $8; keys[k] = 1 }
  function med(a, k, m,   i, j, t, v) {
    for (i = 1; i <= m; i++) v[i] = a[k, i]
    for (i = 2; i <= m; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
  END { for (k in keys) printf "%s,%.3f,%.3f,%.3f,%.2f,%.0f,%.0f\n", k, med(cpu, k, n[k]), med(usr, k, n[k]),
      med(sys, k, n[k]), med(wall, k, n[k]), med(rss, k, n[k]), med(flt, k, n[k]) }' "$csv" | sort)"
# value CASE TOOL FIELD (3 cpu, 4 user, 5 sys, 6 wall, 7 rss KiB, 8 minor faults)
value() { awk -F, -v c="$1" -v t="$2" -v f="$3" '$1 == c && $2 == t { print $f }' <<<"$medians"; }

# The CPU profile by where the time goes. Precedence: the thread (JIT compiler, GC), then kernel
# work (page faults; creating files and directories), then what the main thread was doing.
breakdown() {
  awk '
    { n = $NF; total += n; s = $0
      if (s ~ /^\[C1 CompilerThre/ || s ~ /^\[C2 CompilerThre/) k = "JIT compiler threads (C1)"
      else if (s ~ /^\[VM Thread/ || s ~ /^\[GC/) k = "GC and safepoints (VM thread)"
      else if (s ~ /asm_exc_page_fault/) k = "page faults (kernel, any Java thread)"
      else if (s ~ /__x64_sys_(openat|mkdir|chmod|fchmod|rename)/) k = "creating files and directories (kernel)"
      else if (s ~ /^\[wal-/) k = "WAL stream threads (wal-streamer, wal-flusher)"
      else if (s ~ /BaseBackupCommand\.call/ && s ~ /ReplicationConnection\.open/) k = "connecting: TCP, SCRAM, session"
      else if (s ~ /BaseBackupCommand\.call/) k = "the backup: protocol, tar, files, manifest"
      else if (s ~ /picocli|RootCommand\.subcommandsFor|Main\$CommandFactory/) k = "command line: picocli model (reflection, annotation proxies)"
      else if (s ~ /^\[main/ || s ~ /^\[java/) k = "JVM start, main class, other main-thread work"
      else k = "other JVM threads"
      sum[k] += n }
    END { for (k in sum) printf "%s\t%d\t%d\n", k, sum[k], total }' "$work/fixed-cost-cpu.collapsed" | sort -t$'\t' -k2,2nr
}
faults_by() {
  awk '
    { n = $NF; total += n; s = $0
      if (s ~ /setMemory0/) k = "direct buffers zeroed at allocation"
      else if (s ~ /^\[C1 CompilerThre/) k = "JIT compiler (arenas, code cache)"
      else if (s ~ /^\[VM Thread/) k = "GC (survivor and old space first touched)"
      else if (s ~ /ClassLoader|SystemDictionary|restore_unshareable|set_package|link_class|link_method|Rewriter|ZipFile/) k = "class loading and linking (CDS, jar)"
      else k = "heap allocation and the rest"
      sum[k] += n }
    END { for (k in sum) printf "%s\t%d\t%d\n", k, sum[k], total }' "$work/fixed-cost-page-faults.collapsed" | sort -t$'\t' -k2,2nr
}

md="$out/fixed-cost.md"
{
  echo "Fixed cost of a run: \`bench/fixed-cost.sh --runs $runs\`, $(date -u '+%Y-%m-%d %H:%M UTC'),"
  echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at the end; PostgreSQL $(sql 'SHOW server_version' | cut -d' ' -f1),"
  echo "an initdb-only cluster ($((cluster_bytes / 1048576)) MiB of databases); $version ($(basename -- "$release"))."
  echo
  echo "| case | tool | client CPU (user+sys) | user | sys | wall | max RSS | minor faults |"
  echo "|---|---|---|---|---|---|---|---|"
  for c in plain plain-N tar; do
    for t in pg_basebackup jwalreceiver; do
      echo "| $c | $t | $(value "$c" "$t" 3) s | $(value "$c" "$t" 4) s | $(value "$c" "$t" 5) s | $(value "$c" "$t" 6) s | $(( $(value "$c" "$t" 7) / 1024 )) MiB | $(value "$c" "$t" 8) |"
    done
    echo "| $c | **difference** | **$(awk -v a="$(value "$c" jwalreceiver 3)" -v b="$(value "$c" pg_basebackup 3)" 'BEGIN { printf "%.3f", a - b }') s** | | | | | |"
  done
  echo
  cpu_n="$(value plain-N jwalreceiver 3)"
  echo "Where jwalreceiver's CPU goes in plain \`-N\` (one run under async-profiler, event cpu, 200 µs, every"
  echo "thread; seconds are each share of the median client CPU above, $cpu_n s):"
  echo
  echo "| where | share of samples | ≈ seconds |"
  echo "|---|---|---|"
  breakdown | while IFS=$'\t' read -r k n total; do
    awk -v k="$k" -v n="$n" -v t="$total" -v c="$cpu_n" 'BEGIN { printf "| %s | %.1f%% | %.3f |\n", k, 100 * n / t, c * n / t }'
  done
  echo
  echo "Page faults of the same command (one run, event page-faults): where they start"
  echo "(pg_basebackup: $(value plain-N pg_basebackup 8) minor faults in all):"
  echo
  echo "| where | page faults | share |"
  echo "|---|---|---|"
  faults_by | while IFS=$'\t' read -r k n total; do
    awk -v k="$k" -v n="$n" -v t="$total" 'BEGIN { printf "| %s | %d | %.1f%% |\n", k, n, 100 * n / t }'
  done
} >"$md"
cat "$md"
log "results in $out (fixed-cost.md, fixed-cost.csv, flame graphs)"
