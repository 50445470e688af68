#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, on 127.0.0.1 only.
#
#   eval "$(bash scripts/pg-test-server.sh start)"   # prints the exports below
#   bash scripts/pg-test-server.sh stop                # stops it and deletes its directory
#
# `start` installs PostgreSQL from the distribution when its binaries are missing, creates the
# unprivileged user `hantu-pg` when run as root (PostgreSQL refuses to run as root), `initdb`s a
# cluster into a temporary directory with password authentication, starts it on a free port and
# prints `export HANTU_TEST_PG_URL=postgres://...` and `export HANTU_TEST_PG_DIR=...`.
# `stop` reads HANTU_TEST_PG_DIR.
set -euo pipefail

PG_USER=hantu-pg

find_bin() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$d" && -x "$d/initdb" ]]; then echo "$d"; return; fi
    if command -v initdb >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
}

# Runs a command as the server's user (root cannot run PostgreSQL).
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u "$PG_USER" -- "$@"
    else
        "$@"
    fi
}

start() {
    local bin
    bin=$(find_bin)
    if [[ -z "$bin" ]]; then
        echo "installing postgresql" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        bin=$(find_bin)
    fi
    [[ -n "$bin" ]] || { echo "no PostgreSQL binaries found after installing" >&2; exit 1; }
    if [[ $(id -u) -eq 0 ]] && ! id "$PG_USER" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER" >&2
    fi
    local dir
    dir=$(mktemp -d /tmp/hantu-pg.XXXXXX)
    chmod 0700 "$dir"
    local password
    password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$password" > "$dir/pwfile"
    [[ $(id -u) -eq 0 ]] && chown -R "$PG_USER" "$dir"
    as_pg "$bin/initdb" -D "$dir/data" -U hantu --pwfile="$dir/pwfile" --auth=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    local port tries=0
    while :; do
        port=$((20000 + RANDOM % 30000))
        if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=300 -c deadlock_timeout=100ms" \
            start >&2; then
            break
        fi
        tries=$((tries + 1))
        if [[ $tries -ge 5 ]]; then cat "$dir/server.log" >&2; exit 1; fi
    done
    PGPASSWORD="$password" "$bin/psql" -h 127.0.0.1 -p "$port" -U hantu -d postgres -q \
        -c "CREATE DATABASE hantu" >&2
    echo "$bin" > "$dir/bin"
    echo "export HANTU_TEST_PG_URL=postgres://hantu:$password@127.0.0.1:$port/hantu"
    echo "export HANTU_TEST_PG_DIR=$dir"
}

stop() {
    local dir=${HANTU_TEST_PG_DIR:-}
    [[ -n "$dir" && -d "$dir/data" ]] || { echo "no test server to stop" >&2; return 0; }
    as_pg "$(cat "$dir/bin")/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
