#!/usr/bin/env python3
"""Hostile clients for benches/flood.sh: standard library only.

Usage: flood.py ADDR CHATS_DIR SECONDS [--clients N] [--idle N] [--slow N]

For SECONDS, on ADDR (host:port):
  --clients N  connections each asking, one after another on a keep-alive
               connection, for a chat's .ics file and page in turn (every
               chat in CHATS_DIR in round robin);
  --idle N     connections that connect and send nothing;
  --slow N     slowloris connections: one header line a second, never done.
Prints one JSON line: requests answered by status, connection errors, and
how many idle and slow connections the listener had closed by the end.
"""
import argparse
import asyncio
import collections
import json
import os
import time


async def client(host, port, paths, until, counts):
    i = 0
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            counts["connect_error"] += 1
            await asyncio.sleep(0.05)
            continue
        try:
            while time.monotonic() < until:
                path = paths[i % len(paths)]
                i += 1
                writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                status = head.split(b" ", 2)[1].decode()
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                await reader.readexactly(length)
                counts[status] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            counts["closed_by_server"] += 1
        finally:
            writer.close()


async def held(host, port, until, closed, trickle):
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        return
    try:
        if trickle:
            writer.write(b"GET / HTTP/1.1\r\n")
        n = 0
        while time.monotonic() < until:
            try:
                data = await asyncio.wait_for(reader.read(1), timeout=1.0)
                if not data:
                    closed.append(1)
                    return
            except asyncio.TimeoutError:
                pass
            if trickle:
                writer.write(f"x-{n}: y\r\n".encode())
                n += 1
                await writer.drain()
    except OSError:
        closed.append(1)
    finally:
        writer.close()


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("addr")
    p.add_argument("chats")
    p.add_argument("seconds", type=float)
    p.add_argument("--clients", type=int, default=300)
    p.add_argument("--idle", type=int, default=200)
    p.add_argument("--slow", type=int, default=50)
    a = p.parse_args()
    host, port = a.addr.rsplit(":", 1)
    names = sorted(f[:-5] for f in os.listdir(a.chats) if f.endswith(".yaml"))
    paths = [p for n in names for p in (f"/chats/{n}.ics", f"/chats/{n}")]
    until = time.monotonic() + a.seconds
    counts = collections.Counter()
    idle_closed, slow_closed = [], []
    tasks = [client(host, int(port), paths[i:] + paths[:i], until, counts) for i in range(a.clients)]
    tasks += [held(host, int(port), until, idle_closed, False) for _ in range(a.idle)]
    tasks += [held(host, int(port), until, slow_closed, True) for _ in range(a.slow)]
    await asyncio.gather(*tasks)
    print(json.dumps({"answers": dict(counts), "idle_closed": len(idle_closed),
                      "slow_closed": len(slow_closed)}))


asyncio.run(main())
