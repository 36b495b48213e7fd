"""The privacy notice and terms of use pages that the Teams app manifest links to.

Teams shows the manifest's `privacyUrl` and `termsOfUseUrl` to everyone who looks at
the app, and an administrator checks them before approving it; a 404 there looks
careless and stalls the approval. So the bot serves both itself, from the host it
already runs on (`bot.teams.package` builds the URLs from the same paths). The
wording is short and plain, names the authority from the framework file, and says
what the bot holds and never holds; docs/data-protection.md is the full account an
authority adapts for its own notice.

`bot/app.py` calls `mount_static_pages(api, settings)` once when it builds the app.
"""

from __future__ import annotations

from html import escape

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from bot.settings import Settings
from bot.teams.package import PRIVACY_PATH, TERMS_PATH
from qa.framework import FrameworkError, load_framework

__all__ = ["mount_static_pages", "privacy_html", "terms_html"]

_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Arial,sans-serif;color:#1a1a1a;"
    "max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5}"
    "h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:1.5rem}"
)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>\n"
    )


def privacy_html(authority: str) -> str:
    """The privacy notice: who is responsible, what is held, what never is, how to ask."""
    who = escape(authority)
    return _page(
        "QA bot: privacy notice",
        f"<p>The QA bot is run by {who} to manage the quality assurance of its "
        "children's services: which case audits each member of staff carries out, their "
        "answers and grades, moderation, recommendations and escalations.</p>"
        "<h2>What it holds</h2><p>Staff names, work email addresses, roles, teams and "
        "Slack or Teams account ids; case references, the case's team and area of "
        "planning; the audits and what follows from them; a log of who did what and when."
        "</p><h2>What it never holds</h2><p>A child's name, address, date of birth or "
        "NHS number. Cases are known by their reference only. Free text is checked for "
        "names, addresses, phone numbers, email addresses, NHS numbers and dates of birth "
        "before it is kept, and governance channels receive aggregate figures only.</p>"
        "<h2>Why, and for how long</h2><p>The lawful basis is public task: the "
        "authority's duty to safeguard and promote the welfare of children includes "
        "checking the quality of its practice. Records are kept, then anonymised or "
        "deleted, as the authority's retention policy sets out in the bot's framework "
        "file.</p><h2>Your rights</h2><p>You may ask what is held about you (a subject "
        f"access request) or ask for a correction through {who}'s data protection "
        "officer, who can export everything the bot holds about a person.</p>",
    )


def terms_html(authority: str) -> str:
    """The terms of use: who may use it, and the one rule that matters most."""
    who = escape(authority)
    return _page(
        "QA bot: terms of use",
        f"<p>The QA bot is an internal tool of {who}, for its staff and the people it "
        "asks to take part in quality assurance. Using it is part of your work and is "
        f"covered by {who}'s policies on information governance and acceptable use.</p>"
        "<h2>Use the case reference</h2><p>Never type a child's or a family member's "
        "name, address, phone number, date of birth or NHS number into the bot: use the "
        "case reference. The details belong in the case record.</p>"
        "<h2>Questions</h2><p>Ask your QA lead about the audits, and your IT service "
        "desk about access.</p>",
    )


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
