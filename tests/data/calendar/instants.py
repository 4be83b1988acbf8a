"""Reads an .ics file with Python's `icalendar` and prints every event
instance that starts in [FROM, UNTIL) as JSON, for tests/calendar_ics.rs.

Usage: instants.py FILE.ics FROM UNTIL VIEWER_ZONE [VIEWER_ZONE ...]
(FROM and UNTIL are RFC 3339 UTC instants.)

Each instance: {"uid", "sequence", "summary", "start", "end"} in UTC, plus
"viewer": {zone: "YYYY-MM-DD HH:MM"} of the start in each viewer zone, and
for repeating events "start_by_vtimezone": the same start computed from the
file's own VTIMEZONE rather than the system's zone database.
"""
import json
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
from dateutil.rrule import rrulestr


def utc(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    path, start, until = sys.argv[1], sys.argv[2], sys.argv[3]
    viewers = sys.argv[4:]
    lo = datetime.fromisoformat(start.replace("Z", "+00:00"))
    hi = datetime.fromisoformat(until.replace("Z", "+00:00"))
    with open(path, "rb") as f:
        cal = icalendar.Calendar.from_ical(f.read())
    zones = {tz["TZID"]: tz.to_tz() for tz in cal.walk("VTIMEZONE")}
    out = []
    for event in cal.walk("VEVENT"):
        dtstart = event.decoded("DTSTART")
        if "DTEND" in event:
            length = event.decoded("DTEND") - dtstart
        else:
            length = event.decoded("DURATION")
        tzid = event["DTSTART"].params.get("TZID")
        if "RRULE" in event:
            rule = event["RRULE"].to_ical().decode()
            naive = dtstart.replace(tzinfo=None)
            system = rrulestr(rule, dtstart=naive.replace(tzinfo=ZoneInfo(tzid)))
            own = rrulestr(rule, dtstart=naive.replace(tzinfo=zones[tzid]))
            starts = list(system.between(lo - timedelta(seconds=1), hi, inc=False))
            by_vtimezone = [utc(s) for s in own.between(lo - timedelta(seconds=1), hi, inc=False)]
        else:
            starts = [dtstart] if lo <= dtstart < hi else []
            by_vtimezone = None
        for i, s in enumerate(starts):
            item = {
                "uid": str(event["UID"]),
                "sequence": int(event["SEQUENCE"]),
                "summary": str(event["SUMMARY"]),
                "start": utc(s),
                "end": utc(s + length),
                "viewer": {z: s.astimezone(ZoneInfo(z)).strftime("%Y-%m-%d %H:%M") for z in viewers},
            }
            if by_vtimezone is not None:
                item["start_by_vtimezone"] = by_vtimezone[i] if i < len(by_vtimezone) else None
            out.append(item)
    out.sort(key=lambda e: e["start"])
    json.dump(out, sys.stdout, indent=1)


main()
