"""`python -m tools <command>`: the tools' command line (the Makefile targets call it).

Each command is a function taking the remaining arguments and returning an exit
status; it imports its module only when run, so a command's dependencies load
only for that command.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from types import FrameType

Command = Callable[[list[str]], int]


def demo(argv: list[str]) -> int:
    from tools.demo import main

    return main(argv)


def status(argv: list[str]) -> int:
    from tools.status import main

    return main(argv)


def query(argv: list[str]) -> int:
    from tools.query import main

    return main(argv)


def load(argv: list[str]) -> int:
    from tools.load import main

    return main(argv)


def lake(argv: list[str]) -> int:
    from tools.lake import main

    return main(argv)


def preview(argv: list[str]) -> int:
    from tools.preview import main

    return main(argv)


def up(argv: list[str]) -> int:
    from local_platform.__main__ import main
    from tools.console.server import ConsoleServer

    return main(argv, extra_components=[ConsoleServer()])


def console(argv: list[str]) -> int:
    from tools.console.server import main

    return main(argv)


COMMANDS: dict[str, tuple[Command, str]] = {
    "demo": (demo, "start the platform, send StockOSS traffic, print a summary, stop"),
    "status": (status, "health of a running platform (make up)"),
    "query": (query, "run an athena/ query locally over the curated zone, or on Athena"),
    "load": (load, "load generator against the local gateway (and soak: count every sink)"),
    "lake": (lake, "run the lake once (Glue job, checks) and write the KPI report"),
    "up": (up, "start the local platform and its console, serve until Ctrl-C (make up)"),
    "console": (console, "serve the console of a running platform (make up starts one already)"),
    "preview": (preview, "render a notification template on every channel (make preview TEMPLATE=...)"),
}


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: python -m tools <command> [args...]\n\ncommands:")
        for name, (_, help_text) in COMMANDS.items():
            print(f"  {name:<8} {help_text}")
        return 0 if not argv or argv[0] in ("-h", "--help") else 2
    # SIGTERM unwinds like Ctrl-C, so every command's cleanup runs (no orphaned moto server or broker).
    signal.signal(signal.SIGTERM, _interrupt)
    command, _ = COMMANDS[argv[0]]
    return int(command(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
