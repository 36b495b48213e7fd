"""Keep each person's Slack App Home current.

The Home tab shows the person's open work. It is published when they open it, and
again after any message reaches them (a new allocation, a reminder, an outcome),
because those are the moments their work changes. Refreshes are debounced per
person and run off the sending path, so a fan-out is never slowed by them.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient
from sqlmodel import Session

from bot.deps import Deps
from bot.render import Renderer
from bot.slack.runtime import as_home_view
from handlers.home import home_context
from storage.models import Person

log = logging.getLogger(__name__)


class HomeRefresher:
    def __init__(
        self, deps: Deps, renderer: Renderer, client: WebClient, *, min_interval: float = 30.0
    ) -> None:
        self.deps = deps
        self.renderer = renderer
        self.client = client
        self.min_interval = min_interval
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="slack-home")

    def schedule(self, person_id: int | None) -> None:
        """Queue a refresh for `person_id` unless one ran within `min_interval`."""
        if person_id is None:
            return
        now = time.monotonic()
        with self._lock:
            last = self._last.get(person_id)
            if last is not None and now - last < self.min_interval:
                return
            self._last[person_id] = now
        self._pool.submit(self.refresh, person_id)

    def refresh(self, person_id: int) -> bool:
        """Publish the person's Home tab now; False when they have no Slack id or it failed."""
        try:
            with Session(self.deps.engine) as session:
                person = session.get(Person, person_id)
                if person is None or not person.active or not person.slack_user_id:
                    return False
                now = self.deps.clock().astimezone(self.deps.settings.tz)
                context = home_context(
                    session=session, person=person, framework=self.deps.framework, now=now
                )
                user_id = person.slack_user_id
            view = as_home_view(self.renderer.render("home", context, "slack"))
            self.client.views_publish(user_id=user_id, view=view)
            return True
        except Exception as exc:  # noqa: BLE001 - a stale Home tab is not worth a crash
            log.warning(
                "slack: home refresh for person %s failed: %s", person_id, type(exc).__name__
            )
            return False

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Tests: wait until queued refreshes have run."""
        done = threading.Event()
        self._pool.submit(done.set)
        return done.wait(timeout)
