#!/usr/bin/env python3
"""Reads what the fake platform logged against the expected timeline.

  lateness TIMELINE.json POSTS.jsonl
      One JSON object: posts expected and seen, and p50/p99/max of
      (arrival at the fake - the slot's instant) in milliseconds
      (nearest-rank percentiles). Exit 1 when a post is missing.
  soak TIMELINE.json POSTS.jsonl
      Counts creates by (account, text): a duplicate is a key accepted more
      than once, a lost one is an expected key never accepted. Prints
      `duplicates: D, lost: L` and exits 1 unless both are 0.

TIMELINE.json comes from `gen.py timeline`; POSTS.jsonl from
examples/fake_platform.rs, whose `account` is the OAuth token.
"""

import collections
import datetime as dt
import json
import math
import sys


def load(timeline_path, posts_path):
    with open(timeline_path, encoding="utf-8") as f:
        timeline = json.load(f)
    posts = []
    with open(posts_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                posts.append(json.loads(line))
    return timeline, posts


def instant_ns(at):
    t = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    return int(t.timestamp()) * 1_000_000_000 + t.microsecond * 1000


def percentile(sorted_values, p):
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def lateness(timeline, posts):
    due = {(p["token"], p["text"]): instant_ns(p["at"]) for p in timeline}
    first = {}
    for post in posts:
        key = (post["account"], post["text"])
        if key in due:
            arrived = int(post["arrived_ns"])
            first[key] = min(arrived, first.get(key, arrived))
    delays = sorted((arrived - due[key]) / 1e6 for key, arrived in first.items())
    result = {"expected": len(due), "seen": len(delays), "requests": len(posts)}
    if delays:
        result.update(
            p50_ms=round(percentile(delays, 50), 2),
            p99_ms=round(percentile(delays, 99), 2),
            max_ms=round(delays[-1], 2),
            min_ms=round(delays[0], 2),
        )
    print(json.dumps(result))
    return 0 if len(delays) == len(due) else 1


def soak(timeline, posts):
    counts = collections.Counter((p["account"], p["text"]) for p in posts)
    expected = {(p["token"], p["text"]) for p in timeline}
    duplicates = sum(n - 1 for n in counts.values() if n > 1)
    lost = len(expected - set(counts))
    unexpected = len(set(counts) - expected)
    for key, n in sorted(counts.items()):
        if n > 1:
            print(f"duplicate: {key} posted {n} times", file=sys.stderr)
    for key in sorted(expected - set(counts)):
        print(f"lost: {key}", file=sys.stderr)
    if unexpected:
        print(f"{unexpected} posts the timeline does not have", file=sys.stderr)
    print(f"{len(expected)} slots, duplicates: {duplicates}, lost: {lost}")
    return 0 if duplicates == 0 and lost == 0 and unexpected == 0 else 1


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("lateness", "soak"):
        print(__doc__, file=sys.stderr)
        return 2
    timeline, posts = load(sys.argv[2], sys.argv[3])
    return (lateness if sys.argv[1] == "lateness" else soak)(timeline, posts)


if __name__ == "__main__":
    sys.exit(main())
