"""`peixunquan serve | migrate | worker | demo` - the process entry points - and the operator's
commands (import-roster, unlock-login, verify-history, history-roots)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from peixunquan.config import Config, ConfigError, check, load_config, load_secret
from peixunquan.logs import setup_logging
from peixunquan.runtime import new_event_loop, open_services, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="peixunquan", description="职业培训券 service")
    parser.add_argument("--config", help="TOML config file (default: $PXQ_CONFIG, else built-in defaults)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("migrate", "apply database migrations"),
        ("worker", "run the background worker"),
        ("demo", "load demo data (idempotent)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    commands.choices["migrate"].add_argument(
        "--to", metavar="MIGRATION", help="forward or back to this migration: its number (0026) or name"
    )
    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    serve.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="server processes sharing the port (SO_REUSEPORT); default: [server] processes, 1",
    )
    # Set by the parent of N processes: the child's index and its listening socket's descriptor.
    serve.add_argument("--child", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--socket-fd", type=int, help=argparse.SUPPRESS)
    roster = commands.add_parser("import-roster", help="import a roster (CSV or JSON) into a targeted batch")
    roster.add_argument("file", help="the roster file (.csv, UTF-8 or GBK; .json)")
    roster.add_argument("--batch", type=int, required=True, help="the targeted batch's id")
    roster.add_argument("--user", help="act as this bureau user (default: the batch's creator)")
    roster.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    unlock = commands.add_parser("unlock-login", help="lift a login lockout now")
    unlock.add_argument("kind", choices=("bureau", "staff"))
    unlock.add_argument("username")
    unlock.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    add_user = commands.add_parser("add-bureau-user", help="add a bureau user (the first administrator)")
    add_user.add_argument("username")
    add_user.add_argument("--region", required=True, help="6-digit region code")
    add_user.add_argument(
        "--role", default="admin", choices=("admin", "batch_manager", "first_reviewer", "second_reviewer", "viewer")
    )
    add_user.add_argument("--name", default="", help="display name")
    add_user.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    verify = commands.add_parser("verify-history", help="check the sealed voucher history (exit 1 on any break)")
    verify.add_argument("--voucher", metavar="CODE", help="only this voucher's history")
    verify.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    roots = commands.add_parser("history-roots", help="daily roots of the voucher history as CSV (date,count,root)")
    roots.add_argument("--from", dest="date_from", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    roots.add_argument("--to", dest="date_to", type=date.fromisoformat, required=True, metavar="YYYY-MM-DD")
    roots.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    stats = commands.add_parser(
        "verify-statistics", help="compare the statistics rollups with a recount (exit 1 if they differ)"
    )
    stats.add_argument("--repair", action="store_true", help="rebuild the rollups from the recount if they differ")
    stats.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    try:
        config = load_secret(load_config(args.sub_config or args.config))
        if args.command == "serve" and args.processes is not None:
            config = replace(config, server=replace(config.server, processes=args.processes))
            check(config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    child = args.child if args.command == "serve" else None
    setup_logging(fields=None if child is None else {"child": child, "pid": os.getpid()})
    if args.command == "unlock-login":
        from peixunquan.unlock_cli import unlock_login_command

        return unlock_login_command(config, args.kind, args.username)
    if args.command == "add-bureau-user":
        from peixunquan.accounts_cli import add_bureau_user_command

        return add_bureau_user_command(config, args.username, args.region, args.role, args.name)
    if args.command == "verify-history":
        from peixunquan.history_cli import verify_history_command

        return verify_history_command(config, args.voucher)
    if args.command == "history-roots":
        from peixunquan.history_cli import history_roots_command

        return history_roots_command(config, args.date_from, args.date_to)
    if args.command == "verify-statistics":
        from peixunquan.statistics_cli import verify_statistics_command

        return verify_statistics_command(config, args.repair)
    if args.command == "import-roster":
        from peixunquan.roster_cli import import_roster_command

        try:
            return import_roster_command(config, args.file, args.batch, args.user)
        except OSError as exc:
            print(f"cannot import: {exc}", file=sys.stderr)
            return 1
    runners: dict[str, Callable[[Config], int]] = {
        "serve": lambda config: _serve(config, argv, child, args.socket_fd),
        "migrate": lambda config: _migrate(config, args.to),
        "worker": _worker,
        "demo": _demo,
    }
    try:
        return runners[args.command](config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1


def _serve(config: Config, argv: list[str], child: int | None, socket_fd: int | None) -> int:
    if child is not None:
        if socket_fd is None:
            print("--child is for the children of serve --processes N only", file=sys.stderr)
            return 2
        return _serve_child(config, child, socket_fd)
    processes = config.server.processes
    url = config.server.public_url
    several = f" with {processes} processes" if processes > 1 else ""
    print(
        f"peixunquan serving on http://{config.server.host}:{config.server.port}{several}  - open {url}/ "
        f"(API: {url}/openapi.json, health: {url}/healthz)",
        flush=True,
    )
    credentials = Path("var/demo-credentials.txt")
    if credentials.exists():
        print(f"demo bureau logins are in {credentials}", flush=True)
    if processes > 1:
        return _supervise(config, argv)
    from aiohttp import web

    from peixunquan.app import create_app

    app = create_app(config)
    app.on_startup.append(_settle_heap)
    web.run_app(
        app,
        host=config.server.host,
        port=config.server.port,
        print=None,
        access_log=None,
        loop=new_event_loop(),
    )
    return 0


def _supervise(config: Config, argv: list[str]) -> int:
    """The parent of `serve --processes N` (peixunquan.processes): it serves nothing itself."""
    from peixunquan.processes import Supervisor

    log = logging.getLogger("peixunquan.processes")
    if config.redis.url.startswith("memory://"):
        log.warning(
            "redis.url is memory://: each of the %d processes has an in-process Redis of its own, so "
            "claim gates, login throttling and platform access tokens are not shared; use a real Redis",
            config.server.processes,
        )

    def command(index: int, socket_fd: int) -> list[str]:
        return [sys.executable, "-m", "peixunquan.cli", *argv, "--child", str(index), "--socket-fd", str(socket_fd)]

    return Supervisor(command, config.server.processes, config.server.host, config.server.port).run()


def _serve_child(config: Config, index: int, socket_fd: int) -> int:
    """Child `index` of `serve --processes N`: the same server, on the SO_REUSEPORT socket its
    parent opened for this slot. The embedded worker, when configured, runs in child 0 only."""
    import socket

    from peixunquan.app import create_app
    from peixunquan.child_server import serve_on_socket
    from peixunquan.processes import stop_with_parent

    if index > 0 and config.worker.embedded:
        config = replace(config, worker=replace(config.worker, embedded=False))
    logging.getLogger("peixunquan.processes").info(
        "child %d starting (pid %d)", index, os.getpid(), extra={"embedded_worker": config.worker.embedded}
    )
    app = create_app(config)
    app.on_startup.append(stop_with_parent)
    app.on_startup.append(_settle_heap)
    serve_on_socket(app, socket.socket(fileno=socket_fd), new_event_loop())
    return 0


async def _settle_heap(app: object) -> None:
    """Once started, move everything alive (modules, models, pools) out of the collector's reach
    and let it run less often: under load, full collections over that heap stalled every request
    in flight for tens of milliseconds, several times a second."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _migrate(config: Config, to: str | None) -> int:
    from models.database import find_migration, migrate, migration_names

    if to is None:
        run(migrate(config.database.url))
        print("migrations applied")
        return 0
    name = find_migration(to)
    if name is None:
        print(f"migrate --to: no migration {to!r}; there are {', '.join(migration_names())}", file=sys.stderr)
        return 2
    run(migrate(config.database.url, f"models.{name}"))
    print(f"migrated to {name}")
    return 0


def _demo(config: Config) -> int:
    from peixunquan.demo import load_demo

    async def demo() -> None:
        async with open_services(config) as services:
            for line in await load_demo(services, Path("var")):
                print(line)

    run(demo())
    return 0


def _worker(config: Config) -> int:
    import aiohttp

    from jobs.worker import run_worker
    from peixunquan.worker_setup import build_jobs

    async def work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        async with open_services(config) as services, aiohttp.ClientSession() as http:
            await run_worker(services, stop, build_jobs(config, services, http))

    run(work())
    return 0


if __name__ == "__main__":
    sys.exit(main())
