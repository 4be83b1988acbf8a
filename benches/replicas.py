#!/usr/bin/env python3
"""The replica soak's helpers (benches/replicas.sh). Standard library only.

  bluesky-accounts PDS_URL N OUT.json
      Makes N accounts sky0..sky{N-1} on the test PDS as a person does
      (createAccount, then an app password) and writes
      [{"name", "handle", "did", "app_password"}].
  collect-bluesky PDS_URL ACCOUNTS.json OUT.jsonl
      Every app.bsky.feed.post record of those accounts, one line each, in
      the fake platform's log format: {"account": "token-NAME", "text",
      "arrived_ns", "platform": "bluesky", "id": rkey}. `arrived_ns` is the
      record's createdAt (what the daemon stamped when it sent it; the PDS
      keeps no arrival time).
  report TIMELINE.json POSTS.jsonl CLAIMS.json EVENTS.jsonl
      Every slot against what each platform holds: a duplicate is a slot
      posted more than once, a lost one never posted. Lateness is the post's
      arrival minus its instant. A post was taken over when its claim
      generation in PostgreSQL is above 1 (its first claim did not finish).
      Each taken-over post is put down to the fault around its instant
      (EVENTS.jsonl, written by replicas.sh: {"event", "from_ms", "to_ms"}):
      the PostgreSQL restart, the cut or the stop when its instant falls in
      that fault's window (from a lease before it to its end), else a kill
      -9 at most 11 s after its instant (the longest X write hold in the
      soak) and at most 0.2 s before. Failover lateness, the figure with the
      2 s target, is the lateness of the posts taken over after a kill: the
      replica that would post them died. Prints one JSON object, and a last
      line `N slots (x: …, mastodon: …, bluesky: …), duplicates: D, lost: L,
      failover lateness p50/p99/max: a/b/c ms (M posts)`. Exit 1 unless D
      and L are 0.
"""

import collections
import json
import math
import sys
import urllib.error
import urllib.request


def call(base, nsid, body=None, token=None, query=""):
    url = f"{base}/xrpc/{nsid}{query}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST" if body is not None else "GET")
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as err:
        raise SystemExit(f"{nsid}: {err.code} {err.read().decode(errors='replace')}") from err


def bluesky_accounts(base, n, out):
    accounts = []
    for i in range(int(n)):
        handle = f"sky{i}.test"
        password = f"soak-password-{i}"
        created = call(base, "com.atproto.server.createAccount",
                       {"email": f"sky{i}@example.com", "handle": handle, "password": password})
        app = call(base, "com.atproto.server.createAppPassword", {"name": "tweetchat"},
                   token=created["accessJwt"])
        accounts.append({"name": f"sky{i}", "handle": handle, "did": created["did"],
                         "app_password": app["password"]})
    with open(out, "w", encoding="utf-8") as f:
        json.dump(accounts, f)


def instant_ns(at):
    import datetime as dt
    t = dt.datetime.fromisoformat(at.replace("Z", "+00:00"))
    return int(t.timestamp()) * 1_000_000_000 + t.microsecond * 1000


def collect_bluesky(base, accounts_path, out):
    with open(accounts_path, encoding="utf-8") as f:
        accounts = json.load(f)
    with open(out, "w", encoding="utf-8") as f:
        for account in accounts:
            cursor = ""
            while True:
                query = (f"?repo={account['did']}&collection=app.bsky.feed.post&limit=100"
                         + (f"&cursor={cursor}" if cursor else ""))
                page = call(base, "com.atproto.repo.listRecords", query=query)
                for record in page["records"]:
                    line = {"account": f"token-{account['name']}", "text": record["value"]["text"],
                            "arrived_ns": str(instant_ns(record["value"]["createdAt"])),
                            "platform": "bluesky", "id": record["uri"].rsplit("/", 1)[-1]}
                    f.write(json.dumps(line) + "\n")
                cursor = page.get("cursor", "")
                if not cursor or not page["records"]:
                    break


def percentile(values, p):
    rank = max(1, math.ceil(p / 100 * len(values)))
    return values[rank - 1]


def summary(delays_ms):
    values = sorted(delays_ms)
    if not values:
        return {"posts": 0}
    return {"posts": len(values), "p50_ms": round(percentile(values, 50), 1),
            "p99_ms": round(percentile(values, 99), 1), "max_ms": round(values[-1], 1)}


def platform_of(account):
    name = account.removeprefix("token-")
    return {"acc": "x", "mas": "mastodon", "sky": "bluesky"}.get(name[:3], "other")


LEASE_MS = 1500


def cause(at_ms, events):
    """The fault a taken-over post with instant `at_ms` is put down to."""
    for e in events:
        if e["event"] != "kill" and e["from_ms"] - LEASE_MS <= at_ms <= e["to_ms"] + 200:
            return e["event"]
    for e in events:
        if e["event"] == "kill" and e["from_ms"] - 11_000 <= at_ms <= e["from_ms"] + 200:
            return "kill"
    return "other"


def report(timeline_path, posts_path, claims_path, events_path):
    with open(timeline_path, encoding="utf-8") as f:
        timeline = json.load(f)
    posts = []
    with open(posts_path, encoding="utf-8") as f:
        posts = [json.loads(line) for line in f if line.strip()]
    with open(claims_path, encoding="utf-8") as f:
        claims = json.load(f) or []
    with open(events_path, encoding="utf-8") as f:
        events = [json.loads(line) for line in f if line.strip()]
    # The claim generation of each slot, by (chat, kind, n, account).
    generation = {(c["chat"], c["kind"], c["n"] or 0, c["account"]): c["generation"] for c in claims}
    due = {}
    taken_over = set()
    for slot in timeline:
        key = (slot["token"], slot["text"])
        due[key] = instant_ns(slot["at"])
        chat, kind, n, account = slot["key"].split("/")
        if generation.get((chat, kind, int(n), account), 1) > 1:
            taken_over.add(key)
    counts = collections.Counter((p["account"], p["text"]) for p in posts)
    first = {}
    for post in posts:
        key = (post["account"], post["text"])
        first[key] = min(int(post["arrived_ns"]), first.get(key, int(post["arrived_ns"])))
    duplicates = {k: n for k, n in counts.items() if n > 1}
    lost = sorted(set(due) - set(counts))
    unexpected = sorted(set(counts) - set(due))
    for key, n in sorted(duplicates.items()):
        print(f"duplicate: {key} posted {n} times", file=sys.stderr)
    for key in lost:
        print(f"lost: {key}", file=sys.stderr)
    for key in unexpected:
        print(f"not in the timeline: {key}", file=sys.stderr)
    by_platform = collections.Counter(platform_of(token) for token, _ in due)
    late = {k: (first[k] - due[k]) / 1e6 for k in due if k in first}
    causes = collections.defaultdict(list)
    for key in taken_over:
        causes[cause(due[key] // 1_000_000, events)].append(key)
    result = {
        "slots": len(due),
        "by_platform": dict(by_platform),
        "duplicates": sum(n - 1 for n in duplicates.values()),
        "lost": len(lost),
        "unexpected": len(unexpected),
        "lateness": summary(late.values()),
        "failover_lateness": summary(late[k] for k in causes["kill"] if k in late),
        "taken_over": {c: summary(late[k] for k in keys if k in late) for c, keys in causes.items()},
        "claims_recorded": len(claims),
    }
    for platform in sorted(by_platform):
        result[f"lateness_{platform}"] = summary(v for k, v in late.items() if platform_of(k[0]) == platform)
        result[f"failover_lateness_{platform}"] = summary(
            late[k] for k in causes["kill"] if k in late and platform_of(k[0]) == platform)
    # Every post due while PostgreSQL restarted (or one lease before),
    # taken over or not.
    for e in events:
        if e["event"] == "pg-restart":
            window = [late[k] for k in due if k in late
                      and e["from_ms"] - LEASE_MS <= due[k] // 1_000_000 <= e["to_ms"]]
            result["pg_restart"] = {"seconds": round((e["to_ms"] - e["from_ms"]) / 1000, 2),
                                    "due_meanwhile": summary(window)}
    print(json.dumps(result))
    platforms = ", ".join(f"{p}: {n}" for p, n in sorted(by_platform.items()))
    failover = result["failover_lateness"]
    figures = "/".join(str(failover.get(f, "-")) for f in ("p50_ms", "p99_ms", "max_ms"))
    print(f"{len(due)} slots ({platforms}), duplicates: {result['duplicates']}, lost: {len(lost)}, "
          f"failover lateness p50/p99/max: {figures} ms ({failover['posts']} posts)")
    return 0 if not duplicates and not lost and not unexpected else 1


def main():
    commands = {"bluesky-accounts": (bluesky_accounts, 3), "collect-bluesky": (collect_bluesky, 3),
                "report": (report, 4)}
    if len(sys.argv) < 2 or sys.argv[1] not in commands or len(sys.argv) != 2 + commands[sys.argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    run, _ = commands[sys.argv[1]]
    return run(*sys.argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main())
