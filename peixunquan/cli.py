"""`peixunquan serve | migrate | worker | demo` - the process entry points - and the operator's
commands (import-roster, unlock-login, verify-history, history-roots)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import signal
import sys
from datetime import date
from pathlib import Path

from peixunquan.config import Config, ConfigError, load_config, load_secret
from peixunquan.logs import setup_logging
from peixunquan.runtime import new_event_loop, open_services, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="peixunquan", description="职业培训券 service")
    parser.add_argument("--config", help="TOML config file (default: $PXQ_CONFIG, else built-in defaults)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("serve", "run the HTTP server"),
        ("migrate", "apply database migrations"),
        ("worker", "run the background worker"),
        ("demo", "load demo data (idempotent)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
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
    args = parser.parse_args(argv)
    try:
        config = load_secret(load_config(args.sub_config or args.config))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    setup_logging()
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
    runner = {"serve": _serve, "migrate": _migrate, "worker": _worker, "demo": _demo}[args.command]
    try:
        return runner(config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 1


def _serve(config: Config) -> int:
    from aiohttp import web

    from peixunquan.app import create_app

    url = config.server.public_url
    print(
        f"peixunquan serving on http://{config.server.host}:{config.server.port}  - open {url}/ "
        f"(API: {url}/openapi.json, health: {url}/healthz)",
        flush=True,
    )
    credentials = Path("var/demo-credentials.txt")
    if credentials.exists():
        print(f"demo bureau logins are in {credentials}", flush=True)
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


async def _settle_heap(app: object) -> None:
    """Once started, move everything alive (modules, models, pools) out of the collector's reach
    and let it run less often: under load, full collections over that heap stalled every request
    in flight for tens of milliseconds, several times a second."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _migrate(config: Config) -> int:
    from models.database import migrate

    run(migrate(config.database.url))
    print("migrations applied")
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
