#!/usr/bin/env bash
# Post lateness while the listener is flooded, against the same run without
# the flood: 50 posts due at one instant on 10 accounts (the fake platform),
# and from 5 s before that instant until 20 s after it, benches/flood.py's
# clients: keep-alive requests for the chats' .ics files and pages, idle
# connections and slowloris connections, under a low open-file limit.
#
#   benches/flood.sh [--no-build] [--debug] [--clients N] [--idle N] [--slow N] [--nofile N]
#
# --debug uses the debug build: to check the script, not for figures.
# Defaults: 300 clients, 200 idle, 50 slow, `ulimit -n 256` for the daemon.
# Prints the lateness summary (benches/analyze.py) of both runs and what the
# flood got. Not part of benches/run.sh (it takes about a minute); it
# writes nothing into the repository. Everything runs on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=1 PROFILE=release CLIENTS=300 IDLE=200 SLOW=50 NOFILE=256
while (($#)); do
    case $1 in
        --no-build) BUILD=0 ;;
        --debug) PROFILE=debug ;;
        --clients) CLIENTS=$2; shift ;;
        --idle) IDLE=$2; shift ;;
        --slow) SLOW=$2; shift ;;
        --nofile) NOFILE=$2; shift ;;
        *) echo "usage: benches/flood.sh [--no-build] [--debug] [--clients N] [--idle N] [--slow N] [--nofile N]" >&2; exit 2 ;;
    esac
    shift
done

if ((BUILD)); then
    if [[ $PROFILE == release ]]; then
        cargo build --release --bin tweetchat --example fake_platform
    else
        cargo build --bin tweetchat --example fake_platform
    fi
fi
BIN=$PWD/target/$PROFILE/tweetchat
FAKE=$PWD/target/$PROFILE/examples/fake_platform
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tweetchat-flood.XXXXXX")
# shellcheck source=benches/lib.sh
source benches/lib.sh
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do stop "$pid"; done
    if [[ ${KEEP:-} == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
say() { echo "== $*" >&2; }

run() { # name, flood (0/1)
    local name=$1 flood=$2 dir=$WORK/$1 port start
    mkdir -p "$dir"
    start_fake "$dir/posts.jsonl"
    PIDS+=("$FAKE_PID")
    port=$(free_port)
    start=$(utc_in 20)
    python3 benches/gen.py chats lateness "$dir/chats" --count 50 --accounts 10 --start "$start"
    python3 benches/gen.py config "$dir/config" --accounts 10 --api-base "$FAKE_BASE" \
        --chats "$dir/chats" --state "$dir/state" --listen "127.0.0.1:$port" --log-level warn
    python3 benches/gen.py timeline "$dir/chats" "$dir/timeline.json" "$BIN" --kind welcome 2>/dev/null
    bash -c "ulimit -n $NOFILE && exec \"\$0\" --config-dir \"\$1\" run" "$BIN" "$dir/config" >"$dir/daemon.log" 2>&1 &
    DAEMON_PID=$!
    PIDS+=("$DAEMON_PID")
    if ((flood)); then
        sleep 15 # the flood starts 5 s before the instant and lasts 25 s
        python3 benches/flood.py "127.0.0.1:$port" "$dir/chats" 25 \
            --clients "$CLIENTS" --idle "$IDLE" --slow "$SLOW" >"$dir/flood.json"
    fi
    wait_lines "$dir/posts.jsonl" 50 60
    stop "$DAEMON_PID"
    stop "$FAKE_PID"
    echo "$name: $(python3 benches/analyze.py lateness "$dir/timeline.json" "$dir/posts.jsonl" || true)"
    if ((flood)); then echo "what the flood got: $(cat "$dir/flood.json")"; fi
    grep -c "Too many open files" "$dir/daemon.log" | sed "s/^/$name 'Too many open files' lines: /"  || true
}

say "quiet: 50 posts at one instant, ulimit -n $NOFILE"
run quiet 0
say "flood: the same, with $CLIENTS clients, $IDLE idle and $SLOW slow connections"
run flood 1
