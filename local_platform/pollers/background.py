"""The background thread every poller runs its loop in (start, stop, running)."""

from __future__ import annotations

import threading
from typing import Any


class BackgroundPoller:
    """Runs `_run()` in a daemon thread until `stop()` sets `_stopping`."""

    name: str

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self, platform: Any = None) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        raise NotImplementedError
