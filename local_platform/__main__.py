"""`python -m local_platform <command>`: the local platform's command line (the Makefile targets call it).

Commands are "module:function" entries taking the remaining arguments and
returning an exit status, imported only when run, so a command's
dependencies load only for that command. Add one by adding a line to COMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Callable
from types import FrameType

COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "local_platform.__main__:demo",
        "start the platform, send StockOSS traffic, print a summary, stop",
    ),
    "up": ("local_platform.__main__:up", "start the platform and serve until Ctrl-C / SIGTERM"),
    "status": ("local_platform.status:main", "health of a running platform (make up)"),
    "query": ("local_platform.query.cli:main", "run an athena/ query locally over the curated zone"),
    "load": ("local_platform.load:main", "load generator against the local gateway"),
}


def demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_platform demo")
    parser.add_argument("--seed", type=int, default=7, help="traffic seed (same seed, same events)")
    parser.add_argument("--orders", type=int, default=60, help="order lifecycles to send")
    args = parser.parse_args(argv)
    from local_platform.demo import run_demo

    return run_demo(seed=args.seed, orders=args.orders)


def up(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m local_platform up")
    parser.add_argument("--port", type=int, default=0, help="gateway port (default: a free one)")
    parser.add_argument("--env", default="dev", help="environment of config/platform.yaml")
    args = parser.parse_args(argv)
    from rich.console import Console

    from local_platform.runtime import LocalPlatform, stop_on_signals
    from platform_core.local_state import STATE_PATH, running_state

    console = Console()
    running = running_state()
    if running is not None:
        console.print(f"[red]A platform already runs (pid {running['pid']}, {running['gateway_url']}).[/]")
        return 1
    with stop_on_signals() as stopped, LocalPlatform(env=args.env, port=args.port) as platform:
        console.print(f"[bold green]StockOSS local platform up[/] (state: {STATE_PATH})")
        console.print(f"  gateway      {platform.gateway_url}")
        console.print(f"  AWS endpoint {platform.endpoint_url}")
        for team, key in platform.api_keys.items():
            console.print(f"  x-api-key for {team:<10} {key.value}")
        console.print("Ctrl-C to stop.")
        stopped.wait()
        console.print("stopping...")
    return 0


def _resolve(spec: str) -> Callable[[list[str]], int] | None:
    module_name, _, function = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        # Only "this command is not there yet", never a missing dependency inside it.
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    return getattr(module, function)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: python -m local_platform <command> [args...]\n\ncommands:")
        for name, (_, help_text) in COMMANDS.items():
            print(f"  {name:<8} {help_text}")
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    # SIGTERM unwinds like Ctrl-C, so every command's cleanup runs (no orphaned moto server or broker).
    signal.signal(signal.SIGTERM, _interrupt)
    spec = COMMANDS[argv[0]][0]
    command = _resolve(spec)
    if command is None:
        print(
            f"error: `{argv[0]}` is not available in this checkout ({spec.partition(':')[0]} is missing)",
            file=sys.stderr,
        )
        return 2
    return int(command(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
