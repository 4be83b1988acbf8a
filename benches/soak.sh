#!/usr/bin/env bash
# The kill -9 soak: `tweetchat run` posts an accelerated timeline (short
# chats, two starting each second, each a welcome, Q1 after 4 s and a wrap-up after 8 s,
# on three of four X accounts) to the fake platform
# (examples/fake_platform.rs), which logs every post it accepts. The daemon
# is killed with SIGKILL at random moments (0.1-1.2 s apart) and restarted
# at once; after the last kill it runs until the timeline is done. Then
# every (account, text) is counted: one accepted twice is a duplicate, an
# expected one never accepted is lost (every slot is inside its 10-minute
# grace window, since the daemon is down for milliseconds at a time).
#
#   benches/soak.sh [KILLS] [--release] [--neighbours]
#   benches/soak.sh --replicas N --postgres [KILLS] [--release]
#
# With --replicas (or --postgres) it runs benches/replicas.sh instead:
# N replicas sharing a private PostgreSQL, on X, Mastodon and Bluesky,
# with kills, a stopped lease holder, a PostgreSQL restart and a replica
# cut off from the database (see that file).
#
# --neighbours adds the world around the daemon: `tweetchat status` runs in
# a loop beside it, and another writer takes the database's write lock
# (BEGIN IMMEDIATE) at random moments, holding it from 50 ms to 7 s (past
# SQLite's 5 s busy timeout), so claims and records must wait or retry.
#
# KILLS defaults to 10 (the short version CI runs, under 2 minutes); the
# long version is `benches/soak.sh 200`. Debug build unless --release. The
# last line reads `soak: K kills, N slots, duplicates: D, lost: L`; the
# exit code is 0 only when both are 0.
set -euo pipefail
cd "$(dirname "$0")/.."

for arg in "$@"; do
    case $arg in
        --replicas | --postgres) exec bash benches/replicas.sh "$@" ;;
    esac
done

KILLS=10
PROFILE=debug
NEIGHBOURS=0
for arg in "$@"; do
    case $arg in
        --release) PROFILE=release ;;
        --neighbours) NEIGHBOURS=1 ;;
        [0-9]*) KILLS=$arg ;;
        *) echo "usage: benches/soak.sh [KILLS] [--release] [--neighbours]" >&2; exit 2 ;;
    esac
done

# shellcheck source=benches/lib.sh
source benches/lib.sh
build_binaries "$PROFILE"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tweetchat-soak.XXXXXX")

DAEMON_PID=
NEIGHBOUR_PIDS=()
cleanup() {
    [[ -n $DAEMON_PID ]] && kill -KILL "$DAEMON_PID" 2>/dev/null
    for pid in "${NEIGHBOUR_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [[ -n ${FAKE_PID:-} ]] && stop "$FAKE_PID"
    if [[ ${KEEP:-} == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

start_fake "$WORK/posts.jsonl"

# The timeline spans about as long as the kills take, so they land while
# posts are going out.
CHATS=$((KILLS * 13 / 10 + 4))
python3 benches/gen.py chats soak "$WORK/chats" --count "$CHATS" --accounts 4 \
    --per-chat 3 --start "$(utc_in 2)" --spacing 0.5
python3 benches/gen.py config "$WORK/config" --accounts 4 --api-base "$FAKE_BASE" \
    --chats "$WORK/chats" --state "$WORK/state" --log-level warn
python3 benches/gen.py timeline "$WORK/chats" "$WORK/timeline.json" "$BIN" 2>/dev/null
EXPECTED=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/timeline.json")
LAST=$(python3 -c 'import json, sys; print(max(p["at"] for p in json.load(open(sys.argv[1]))))' "$WORK/timeline.json")

start_daemon() {
    "$BIN" --config-dir "$WORK/config" run >>"$WORK/daemon.log" 2>&1 &
    DAEMON_PID=$!
}

# `status` in a loop, and a writer grabbing the write lock now and then.
start_neighbours() {
    (while true; do
        "$BIN" --config-dir "$WORK/config" status >/dev/null 2>>"$WORK/status.log" \
            || echo "status failed: $?" >>"$WORK/status.log"
        sleep 0.2
    done) &
    NEIGHBOUR_PIDS+=($!)
    python3 - "$WORK/state/state.db" >>"$WORK/writer.log" 2>&1 <<'PY' &
import os, random, sqlite3, sys, time
path = sys.argv[1]
while not os.path.exists(path):
    time.sleep(0.05)
db = sqlite3.connect(path, timeout=30, isolation_level=None)
held = 0
while True:
    time.sleep(random.uniform(0.3, 3.0))
    hold = random.choice([random.uniform(0.05, 1.0), random.uniform(5.5, 7.0)])
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO kv (key, value, updated_at) VALUES ('soak/neighbour', ?, 0) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(held),))
        time.sleep(hold)
        db.execute("COMMIT")
    except sqlite3.Error as err:  # not migrated yet
        if db.in_transaction:
            db.execute("ROLLBACK")
        print(f"skipped: {err}", file=sys.stderr, flush=True)
        continue
    held += 1
    print(f"held {hold:.2f} s ({held})", flush=True)
PY
    NEIGHBOUR_PIDS+=($!)
}
if ((NEIGHBOURS)); then
    start_neighbours
fi

for ((kill = 1; kill <= KILLS; kill++)); do
    start_daemon
    ms=$((100 + RANDOM % 1100))
    sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    DAEMON_PID=
done
echo "soak: $KILLS kills done, $(lines "$WORK/posts.jsonl") of $EXPECTED posts so far; letting the last run finish" >&2

start_daemon
LAST_EPOCH=$(date -u -d "$LAST" +%s)
WAIT=$((LAST_EPOCH - $(date +%s) + 30))
wait_lines "$WORK/posts.jsonl" "$EXPECTED" "$((WAIT > 30 ? WAIT : 30))"
sleep 1 # anything still in flight would show up as a duplicate
stop "$DAEMON_PID"
DAEMON_PID=
for pid in "${NEIGHBOUR_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
if ((NEIGHBOURS)); then
    echo "soak: the neighbour writer held the lock $(grep -c '^held' "$WORK/writer.log" || true) times;" \
        "status ran beside it, $(grep -c 'status failed' "$WORK/status.log" || true) times failing" >&2
fi

set +e
RESULT=$(python3 benches/analyze.py soak "$WORK/timeline.json" "$WORK/posts.jsonl")
STATUS=$?
set -e
if ((STATUS != 0)); then
    echo "daemon log (last 40 lines):" >&2
    tail -n 40 "$WORK/daemon.log" >&2
fi
echo "soak: $(grep -c 'checking the platform first' "$WORK/daemon.log" || true) in-doubt posts were reconciled after a kill" >&2
# RESULT reads "N slots, duplicates: D, lost: L".
echo "soak: $KILLS kills, $RESULT"
exit "$STATUS"
