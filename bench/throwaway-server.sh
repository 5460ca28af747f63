# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced, not run: one throwaway PostgreSQL cluster for a benchmark script, started the way
# bench/side-by-side.sh starts its own (the unprivileged "postgres" user when we are root,
# 127.0.0.1 on a free port, scram, a random password). bench/profile.sh, bench/fixed-cost.sh and
# dist/src/build/record-cds-classes.sh use it; side-by-side.sh
# takes only its free-port function so far (its server start is still its own).
#
# The caller defines die and log and sets pg_bin. Then:
#   throwaway_work_dir PARENT NAME   makes the work directory ($work, PARENT/jwalreceiver-NAME.XXXXXX,
#                                    marked as ours) and traps EXIT, INT and TERM: the server is
#                                    stopped and that directory (only one carrying the mark) deleted
#   throwaway_server_owner           defines as_server, sets server_owner (chmods $work when root)
#   throwaway_server_start CONF      initdb in $work/pgdata, appends CONF (postgresql.conf lines,
#                                    after listen_addresses/port/unix_socket_directories) and
#                                    starts the server; sets port, pgdata, conn, exports
#                                    PGPASSWORD, defines sql, and refuses a server that is not ours

throwaway_server_started=""

throwaway_server_owner() {
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
}

# A TCP port on 127.0.0.1 that nothing listens on.
throwaway_free_port() {
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

throwaway_server_start() {
  local conf=$1 password sock="$work/sock"
  pgdata="$work/pgdata"
  port="$(throwaway_free_port)" || die "no free port found"
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
  printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\n%s\n" \
    "$port" "$sock" "$conf" | as_server tee -a "$pgdata/postgresql.conf" >/dev/null
  as_server "$pg_bin/pg_ctl" -D "$pgdata" -l "$work/srv/server.log" -w -t 60 start >/dev/null \
    || { cat "$work/srv/server.log" >&2; die "the server did not start"; }
  throwaway_server_started=1
  export PGPASSWORD="$password"
  conn=(-h 127.0.0.1 -p "$port" -U postgres)
  # Refuse to go on unless 127.0.0.1:$port is the cluster we just created.
  [ "$(sql 'SHOW data_directory')" = "$(cd "$pgdata" && pwd -P)" ] \
    || [ "$(sql 'SHOW data_directory')" = "$pgdata" ] \
    || die "127.0.0.1:$port is not the throwaway cluster in $pgdata; refusing to go on"
}

# sql QUERY [DATABASE]: one query's unaligned, tuples-only output.
sql() { "$pg_bin/psql" -X -q -At -v ON_ERROR_STOP=1 "${conn[@]}" -d "${2:-postgres}" -c "$1"; }

# throwaway_work_dir PARENT NAME: $work, a fresh directory under PARENT, and the traps that stop
# the server and delete it on exit (keeping the exit status; 130 on INT, 143 on TERM). Deletes
# only a directory that carries the mark it made.
throwaway_work_dir() {
  work="$(mktemp -d "$1/jwalreceiver-$2.XXXXXX")"
  throwaway_work_mark="$work/.created-by-$2"
  touch "$throwaway_work_mark"
  trap throwaway_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

throwaway_cleanup() {
  local rc=$?
  set +e
  throwaway_server_stop
  if [ -n "${work:-}" ] && [ -n "${throwaway_work_mark:-}" ] && [ -f "$throwaway_work_mark" ]; then
    rm -rf -- "$work"
  fi
  exit $rc
}

# An immediate stop of the server we started, if any (throwaway_cleanup calls it).
throwaway_server_stop() {
  if [ -n "$throwaway_server_started" ] && [ -f "$pgdata/postmaster.pid" ]; then
    as_server "$pg_bin/pg_ctl" -D "$pgdata" -m immediate -w stop >/dev/null 2>&1
  fi
}
