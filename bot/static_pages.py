"""The privacy notice and terms of use pages that the Teams app manifest links to.

Teams shows the manifest's `privacyUrl` and `termsOfUseUrl` to everyone who looks at
the app, and an administrator checks them before approving it; a 404 there looks
careless and stalls the approval. So the bot serves both itself, from the host it
already runs on (`bot.teams.package` builds the URLs from the same paths). The
wording (`bot/pages/`) is short and plain, names the authority from the
framework file, and says what the bot holds and never holds;
docs/data-protection.md is the full account an authority adapts for its own notice.

`bot/app.py` calls `mount_static_pages(api, settings)` once when it builds the app.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from bot.settings import Settings
from bot.teams.package import PRIVACY_PATH, TERMS_PATH
from qa.framework import FrameworkError, load_framework

__all__ = ["mount_static_pages", "privacy_html", "terms_html"]

_PAGES = Environment(
    loader=PackageLoader("bot", "pages"),
    autoescape=True,  # the authority's name comes from a file: escape it
    undefined=StrictUndefined,
    auto_reload=False,
)


def privacy_html(authority: str) -> str:
    """The privacy notice: who is responsible, what is held, what never is, how to ask."""
    return _PAGES.get_template("privacy.html.j2").render(authority=authority) + "\n"


def terms_html(authority: str) -> str:
    """The terms of use: who may use it, and the one rule that matters most."""
    return _PAGES.get_template("terms.html.j2").render(authority=authority) + "\n"


def _authority(settings: Settings) -> str:
    try:
        return load_framework(settings.framework).authority
    except FrameworkError:
        return "the local authority"


def mount_static_pages(api: FastAPI, settings: Settings) -> None:
    """Serve the privacy notice and terms of use at the paths the Teams manifest names."""
    authority = _authority(settings)
    privacy, terms = privacy_html(authority), terms_html(authority)

    @api.get(PRIVACY_PATH, response_class=HTMLResponse, include_in_schema=False)
    def privacy_page() -> HTMLResponse:
        return HTMLResponse(privacy)

    @api.get(TERMS_PATH, response_class=HTMLResponse, include_in_schema=False)
    def terms_page() -> HTMLResponse:
        return HTMLResponse(terms)
