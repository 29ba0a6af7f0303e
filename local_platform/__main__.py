"""`python -m local_platform`: start the local platform and serve until Ctrl-C / SIGTERM (`make up`).

The tools that drive it (demo, load, status, query) are `python -m tools <command>`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any


def main(argv: list[str] | None = None, extra_components: Sequence[Any] = ()) -> int:
    """extra_components: started after the default ones (the tools' console); each one's `url` is printed."""
    parser = argparse.ArgumentParser(prog="python -m local_platform", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="gateway port (default: a free one)")
    parser.add_argument("--env", default="dev", help="environment of config/platform.yaml")
    args = parser.parse_args(argv)
    from rich.console import Console

    from local_platform.runtime import LocalPlatform, default_components, stop_on_signals
    from platform_core.local_state import STATE_PATH, running_state

    console = Console()
    running = running_state()
    if running is not None:
        console.print(f"[red]A platform already runs (pid {running['pid']}, {running['gateway_url']}).[/]")
        return 1
    with (
        stop_on_signals() as stopped,
        LocalPlatform(
            env=args.env, port=args.port, components=[*default_components(), *extra_components]
        ) as platform,
    ):
        console.print(f"[bold green]StockOSS local platform up[/] (state: {STATE_PATH})")
        console.print(f"  gateway      {platform.gateway_url}")
        console.print(f"  AWS endpoint {platform.endpoint_url}")
        for component in extra_components:
            if getattr(component, "url", None):
                console.print(f"  {component.name:<12} {component.url}")
        for team, key in platform.api_keys.items():
            console.print(f"  x-api-key for {team:<13} {key.value}")
        console.print("Ctrl-C to stop.")
        stopped.wait()
        console.print("stopping...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
