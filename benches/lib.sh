# Shared by the benches (sourced, not run).

# Builds the daemon and the fake platform in profile $1 (release or debug)
# and sets BIN and FAKE to them.
build_binaries() {
    local profile=$1
    if [[ $profile == release ]]; then
        cargo build --quiet --release --bin tweetchat --example fake_platform
    else
        cargo build --quiet --bin tweetchat --example fake_platform
    fi
    BIN=$PWD/target/$profile/tweetchat
    FAKE=$PWD/target/$profile/examples/fake_platform
}

# Starts the fake platform logging to $1; sets FAKE_PID and FAKE_BASE.
start_fake() {
    local log=$1 addr_file
    addr_file=$(mktemp -u "$WORK/fake-addr.XXXX")
    : >"$log"
    "$FAKE" --log "$log" --addr-file "$addr_file" 2>>"$WORK/fake.err" &
    FAKE_PID=$!
    for _ in $(seq 200); do
        [[ -s $addr_file ]] && break
        sleep 0.05
    done
    [[ -s $addr_file ]] || { echo "the fake platform did not start" >&2; exit 1; }
    FAKE_BASE="http://$(cat "$addr_file")"
}

# Stops a process we started, by its id.
stop() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# A free loopback port.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Lines in a file (0 when missing).
lines() {
    [[ -f $1 ]] && wc -l <"$1" || echo 0
}

# Waits until file $1 has at least $2 lines or $3 seconds pass.
wait_lines() {
    local deadline=$((SECONDS + $3))
    while (($(lines "$1") < $2 && SECONDS < deadline)); do
        sleep 0.2
    done
}

# A UTC instant $1 seconds from now, on a whole second, as RFC 3339.
utc_in() {
    date -u -d "@$(($(date +%s) + $1))" +%Y-%m-%dT%H:%M:%SZ
}

# A private PostgreSQL cluster of Debian's binaries ($PG_BIN) in folder $1:
# initdb, then the server on a free 127.0.0.1 port (PG_PORT) with its unix
# socket in that folder and trust for local connections. PostgreSQL refuses
# to run as root, so as root both run as the `postgres` user, who then owns
# the folder. stop_postgres stops it (immediate: nothing to keep).
runas_postgres() {
    if [[ $(id -u) == 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}
start_postgres() {
    PG_DIR=$1
    mkdir -p "$PG_DIR"
    if [[ $(id -u) == 0 ]]; then
        chown postgres: "$PG_DIR"
        # The postgres user must reach the folder through its parents.
        chmod o+x "$(dirname "$PG_DIR")"
    fi
    runas_postgres "$PG_BIN/initdb" --pgdata="$PG_DIR/data" --username=postgres \
        --auth=trust --no-sync >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; return 1; }
    PG_PORT=$(free_port)
    runas_postgres "$PG_BIN/pg_ctl" --pgdata="$PG_DIR/data" --log="$PG_DIR/server.log" --wait \
        -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR" start >"$PG_DIR/ctl.log" 2>&1 \
        || { cat "$PG_DIR/ctl.log" "$PG_DIR/server.log" >&2; return 1; }
}
stop_postgres() {
    if [[ -n ${PG_DIR:-} && -f $PG_DIR/data/postmaster.pid ]]; then
        runas_postgres "$PG_BIN/pg_ctl" --pgdata="$PG_DIR/data" -m immediate --wait stop >/dev/null 2>&1 || true
    fi
}
