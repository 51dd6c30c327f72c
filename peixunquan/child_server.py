"""How a child of `serve --processes N` serves its app on the socket its parent opened, and how it
stops: stop accepting, let the connections it has just accepted deliver their request, then
aiohttp's graceful shutdown.

`web.run_app` closes idle connections right after closing the listening socket. A connection
the child accepted a moment earlier whose request bytes had not arrived yet counts as idle, and
its client got "connection closed without response" during a SIGHUP reload (seen under load in
CI, about once in 15 reloads). Nothing in run_app's arguments adds such a pause, so this is
run_app's sequence written out with one: the queue still waiting in the kernel stays with the
slot's socket, which the successor already accepts from."""

from __future__ import annotations

import asyncio
import signal
import socket

from aiohttp import web

DRAIN_S = 0.5  # a client sends its request right after connecting; this covers a loaded machine
KEEPALIVE_S = 75.0  # run_app's idle keep-alive limit (AppRunner alone would keep one for an hour)


def serve_on_socket(app: web.Application, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_serve(app, sock))
    finally:
        leftover = asyncio.all_tasks(loop)
        for task in leftover:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _serve(app: web.Application, sock: socket.socket) -> None:
    # Handlers first, as run_app's runner does: a SIGTERM during start-up stops gracefully too.
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    runner = web.AppRunner(app, handle_signals=False, access_log=None, keepalive_timeout=KEEPALIVE_S)
    await runner.setup()
    try:
        site = web.SockSite(runner, sock)
        await site.start()
        await stopping.wait()
        await site.stop()  # accepts nothing more from this child
        await asyncio.sleep(DRAIN_S)  # just-accepted connections deliver their request
    finally:
        await runner.cleanup()  # idle connections closed, requests in flight finished
