#!/usr/bin/env python3
"""The peer: a minimal scheduled-post bot built the way people usually
build one (APScheduler with its defaults, requests, requests-oauthlib).

  bot.py TIMELINE.json API_BASE

Schedules one date job per post of TIMELINE.json (from benches/gen.py
timeline), posts each to API_BASE/2/tweets signed with OAuth 1.0a as its
account, and exits once every job ran or was missed, printing one JSON line:
{"ran": N, "missed": N, "errors": N, "vm_rss_kb": N, "vm_hwm_kb": N}.
"""

import datetime as dt
import json
import sys
import threading

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from requests_oauthlib import OAuth1Session


def memory():
    fields = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return fields


def main():
    timeline_path, api_base = sys.argv[1], sys.argv[2].rstrip("/")
    with open(timeline_path, encoding="utf-8") as f:
        timeline = json.load(f)

    sessions = {}

    def session(token):
        if token not in sessions:
            sessions[token] = OAuth1Session(
                "bench-consumer-key", client_secret="bench-consumer-secret",
                resource_owner_key=token, resource_owner_secret="bench-token-secret")
        return sessions[token]

    def post(token, text):
        answer = session(token).post(f"{api_base}/2/tweets", json={"text": text}, timeout=30)
        answer.raise_for_status()

    counts = {"ran": 0, "missed": 0, "errors": 0}
    done = threading.Event()
    lock = threading.Lock()

    def listener(event):
        with lock:
            if event.code == EVENT_JOB_MISSED:
                counts["missed"] += 1
            elif event.exception is not None:
                counts["errors"] += 1
            else:
                counts["ran"] += 1
            if sum(counts.values()) == len(timeline):
                done.set()

    scheduler = BackgroundScheduler()
    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
    for item in timeline:
        at = dt.datetime.fromisoformat(item["at"].replace("Z", "+00:00"))
        scheduler.add_job(post, "date", run_date=at, args=[item["token"], item["text"]])
    scheduler.start()
    done.wait()
    scheduler.shutdown()
    mem = memory()
    print(json.dumps({**counts, "vm_rss_kb": mem["VmRSS"], "vm_hwm_kb": mem["VmHWM"]}))


if __name__ == "__main__":
    main()
