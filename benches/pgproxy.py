#!/usr/bin/env python3
"""A TCP proxy on loopback that can cut its clients off, for the replica soak.

  benches/pgproxy.py --to PORT --port-file FILE

Listens on 127.0.0.1 (a free port, written to FILE once listening) and
forwards every connection to 127.0.0.1:PORT (the soak's PostgreSQL). One
replica reaches PostgreSQL through it, so the soak can cut that replica
off while the others keep their connections:

  SIGUSR1  cut: from now on no byte goes through in either direction, and a
           new connection is accepted but never forwarded. Nothing is closed:
           to the replica it looks like a network that stopped answering (a
           partition), not a server that went away.
  SIGUSR2  heal: the connections held during the cut are closed (as a
           partition that outlasted TCP's patience ends them) and new ones
           are forwarded again.
  SIGTERM  exit.

Loopback only, both sides; standard library only. Each cut and heal is
printed to stderr with the number of connections it held.
"""

import argparse
import asyncio
import os
import signal
import sys

HOST = "127.0.0.1"


class Proxy:
    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.cut = False
        # Set while traffic flows; pumps wait on it during a cut.
        self.open = asyncio.Event()
        self.open.set()
        # Connections alive now, and those that lived through a cut.
        self.connections = set()
        self.held = set()

    def on_cut(self):
        self.cut = True
        self.open.clear()
        self.held = set(self.connections)
        print(f"pgproxy: cut ({len(self.held)} connections held)", file=sys.stderr, flush=True)

    def on_heal(self):
        held = self.held
        self.held = set()
        for writers in held:
            for writer in writers:
                writer.transport.abort()
        self.cut = False
        self.open.set()
        print(f"pgproxy: healed ({len(held)} held connections closed)", file=sys.stderr, flush=True)

    async def pump(self, reader, writer):
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                await self.open.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    async def handle(self, client_reader, client_writer):
        # A connection made during a cut waits, unanswered, for the heal,
        # which closes it.
        born_in_cut = self.cut
        if born_in_cut:
            pair = (client_writer,)
            self.held.add(pair)
            await self.open.wait()
            client_writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, self.upstream_port)
        except OSError:
            client_writer.transport.abort()
            return
        pair = (client_writer, up_writer)
        self.connections.add(pair)
        try:
            await asyncio.gather(
                self.pump(client_reader, up_writer),
                self.pump(up_reader, client_writer),
            )
        finally:
            self.connections.discard(pair)


async def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--to", type=int, required=True, help="the upstream port on 127.0.0.1")
    parser.add_argument("--port-file", required=True)
    args = parser.parse_args()
    proxy = Proxy(args.to)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, proxy.on_cut)
    loop.add_signal_handler(signal.SIGUSR2, proxy.on_heal)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    server = await asyncio.start_server(proxy.handle, HOST, 0)
    port = server.sockets[0].getsockname()[1]
    with open(args.port_file + ".tmp", "w", encoding="utf-8") as f:
        f.write(str(port))
    os.rename(args.port_file + ".tmp", args.port_file)
    print(f"pgproxy: 127.0.0.1:{port} -> 127.0.0.1:{args.to}", file=sys.stderr, flush=True)
    async with server:
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
