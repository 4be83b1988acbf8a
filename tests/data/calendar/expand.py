"""Expands an .ics file with `recurring-ical-events` (a maintained expander
built on Python's `icalendar`) and prints every event instance that starts
in [FROM, UNTIL) as JSON, for tests/calendar_season.rs.

Usage: expand.py FILE.ics FROM UNTIL   (RFC 3339 UTC instants)

Each instance: {"uid", "sequence", "summary", "start", "end", "url",
"description"}, instants in UTC, in order of start.
"""
import json
import sys
from datetime import datetime, timezone

import icalendar
import recurring_ical_events


def utc(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    path, start, until = sys.argv[1], sys.argv[2], sys.argv[3]
    lo = datetime.fromisoformat(start.replace("Z", "+00:00"))
    hi = datetime.fromisoformat(until.replace("Z", "+00:00"))
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    out = []
    for event in recurring_ical_events.of(cal).between(lo, hi):
        begin = event.decoded("DTSTART")
        if begin < lo:
            continue  # still running at FROM, started before it
        out.append({
            "uid": str(event["UID"]),
            "sequence": int(event["SEQUENCE"]),
            "summary": str(event["SUMMARY"]),
            "start": utc(begin),
            "end": utc(event.decoded("DTEND")),
            "url": str(event.get("URL", "")),
            "description": str(event.get("DESCRIPTION", "")),
        })
    out.sort(key=lambda e: e["start"])
    json.dump(out, sys.stdout, indent=1)


main()
