"""The floor we compare with, each run as `python -m bench.bare_apps KIND PORT [SLACK_URL]`.

- `bolt`: a bare `slack_bolt.App` whose command, action and view listeners only
  `ack()`. It is served as `bot/slack/http.py` serves ours: a FastAPI route that builds
  a `BoltRequest` and runs `app.dispatch` in the thread pool (`run_in_threadpool`),
  under the same uvicorn, so the difference is our code, not the plumbing. Bolt checks
  the signature itself.
- `teams`: a bare Teams SDK `App` on FastAPI through the SDK's own `FastAPIAdapter`,
  unauthenticated (playground-style), whose `on_message` sends the text back.
- `connector`: the fake Bot Connector of tests/fakes/connector.py, for `fake_connector()`.

Both apps answer `GET /healthz` so `bench.servers` can wait for them the same way.
"""

from __future__ import annotations

import sys
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from bench.servers import BOT_TOKEN, SECRET


def _serve_connector() -> None:
    from tests.fakes.connector import FakeConnector

    with FakeConnector() as connector:
        connector._server.socket.listen(256)  # a private attribute: see fake_connector()
        print(connector.url, flush=True)
        sys.stdin.read()


def _bare_bolt_api(slack_api_url: str) -> Any:
    import re
    from collections.abc import Sequence

    from slack_bolt import Ack, App, BoltRequest
    from slack_bolt.adapter.starlette.handler import to_starlette_response
    from slack_sdk import WebClient
    from starlette.concurrency import run_in_threadpool

    client = WebClient(token=BOT_TOKEN, base_url=slack_api_url)
    bolt = App(signing_secret=SECRET, client=client, token_verification_enabled=False)

    @bolt.command("/qa")
    def on_command(ack: Ack) -> None:
        ack()

    @bolt.action(re.compile(r".+"))
    def on_action(ack: Ack) -> None:
        ack()

    @bolt.view(re.compile(r".+"))
    def on_view(ack: Ack) -> None:
        ack()

    api = FastAPI()

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.post("/slack/events")
    async def events(request: Request) -> Response:
        body = await request.body()
        headers: dict[str, str | Sequence[str]] = {
            k: request.headers.getlist(k) for k in request.headers
        }
        bolt_request = BoltRequest(body=body.decode(), query={}, headers=headers)
        bolt_response = await run_in_threadpool(bolt.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

    return api


def _bare_teams_api() -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from microsoft_teams.apps import App
        from microsoft_teams.apps.http.fastapi_adapter import FastAPIAdapter

    api = FastAPI()

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        teams = App(
            dangerously_allow_unauthenticated_requests=True,
            http_server_adapter=FastAPIAdapter(api),
        )

    @teams.on_message
    async def echo(ctx: Any) -> None:
        await ctx.send(ctx.activity.text or "")

    import asyncio

    asyncio.run(teams.initialize())
    return api


def main(argv: list[str]) -> None:
    import uvicorn

    kind, port = argv[1], int(argv[2])
    if kind == "connector":
        _serve_connector()
        return
    api = _bare_bolt_api(argv[3]) if kind == "bolt" else _bare_teams_api()
    uvicorn.run(api, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main(sys.argv)
