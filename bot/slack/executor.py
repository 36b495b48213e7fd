"""The thread pool Bolt runs listeners in, able to say when it has gone quiet.

Bolt acknowledges Slack first and finishes a listener's work (posting the reply)
afterwards on this pool. Knowing when the pool is idle lets shutdown finish
in-flight replies instead of dropping them, and lets tests wait on a condition
instead of sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class TrackingExecutor(ThreadPoolExecutor):
    def __init__(self, max_workers: int = 10) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="slack-listener")
        self._pending = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._idle:
            self._pending += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: object) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    @property
    def pending(self) -> int:
        with self._idle:
            return self._pending

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once no listener work is queued or running; False after `timeout`."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)
