"""The background threads every poller runs its loop in (start, stop, running)."""

from __future__ import annotations

import threading
from typing import Any


class BackgroundPoller:
    """Runs `_run()` in `loops` daemon threads (concurrent batches) until `stop()` sets `_stopping`."""

    name: str

    def __init__(self, loops: int = 1) -> None:
        self._loops = loops
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def start(self, platform: Any = None) -> None:
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._run, name=f"{self.name}-{i}", daemon=True)
            for i in range(self._loops)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads = []

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def _run(self) -> None:
        raise NotImplementedError
