"""The Teams app package: `manifest.json` plus two icons, zipped for upload.

An administrator uploads the zip in the Teams admin centre (or a developer
side-loads it). The bot id is the Entra app (client) id; the same id goes in
`webApplicationInfo`, which the proactive install through Microsoft Graph relies on.
The manifest follows the official schema whose version is `MANIFEST_VERSION`
(the test validates it against that schema from npm `@microsoft/app-manifest`).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

MANIFEST_VERSION = "1.25"
SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}"
    "/MicrosoftTeams.schema.json"
)
ACCENT_COLOR = "#1F6F8B"
ICON_FILES = ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_HOST = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")

COMMANDS = (
    ("help", "What I can do for you, and how to ask"),
    ("my", "Your audits, moderations and actions due"),
    ("status", "Progress this month; add a service or team name to narrow it"),
)


DEVELOPER_NAME_LIMIT = 32  # the manifest schema's maxLength for developer.name
PRIVACY_PATH = "/privacy"  # served by bot.static_pages
TERMS_PATH = "/terms"
_TRAILING = " ,;:-–—/&"
_DANGLING = frozenset({"of", "and", "for", "the", "in", "&"})


def developer_name(authority: str, limit: int = DEVELOPER_NAME_LIMIT) -> str:
    """The authority's name as the manifest's publisher: whole when it fits, else cut at
    the last whole word within `limit`, without a trailing comma or a dangling "of"
    ("London Borough of Camden, Children and Learning" -> "London Borough of Camden")."""
    name = " ".join(authority.split())
    if len(name) <= limit:
        return name or "qa-bot"
    words = name[: limit + 1].split(" ")[:-1]  # the word cut at the limit goes
    while words and (words[-1].lower() in _DANGLING or not words[-1].strip(_TRAILING)):
        words.pop()
    cut = " ".join(words).rstrip(_TRAILING)
    return cut or name[:limit].rstrip(_TRAILING) or "qa-bot"


class PackageError(ValueError):
    """A package option is unusable; the message says which and why."""


@dataclass(frozen=True)
class PackageOptions:
    bot_id: str
    app_id: str
    host: str
    name: str = "QA bot"
    developer: str = "qa-bot"
    app_version: str = ""

    def problems(self) -> list[str]:
        found = []
        if not _GUID.match(self.bot_id):
            found.append(f"bot id {self.bot_id!r} is not a GUID (the Entra app's client id)")
        if not _GUID.match(self.app_id):
            found.append(f"app id {self.app_id!r} is not a GUID")
        if not _HOST.match(self.host):
            found.append(
                f"host {self.host!r} is not a public host name like qa-bot.example.gov.uk "
                "(no scheme, no port, no path)"
            )
        if not 1 <= len(self.name) <= 30:
            found.append(f"name {self.name!r} must be 1 to 30 characters")
        if not 1 <= len(self.developer) <= 32:
            found.append(f"developer name {self.developer!r} must be 1 to 32 characters")
        if self.app_version and not _SEMVER.match(self.app_version):
            found.append(f"version {self.app_version!r} must look like 1.2.3")
        return found


def default_version() -> str:
    try:
        found = version("qa-bot")
    except PackageNotFoundError:
        return "1.0.0"
    return found if _SEMVER.match(found) else "1.0.0"


def build_manifest(options: PackageOptions) -> dict[str, Any]:
    """The manifest as a dict; raises `PackageError` listing every unusable option."""
    problems = options.problems()
    if problems:
        raise PackageError("; ".join(problems))
    base = f"https://{options.host}"
    scopes = ["personal", "team"]
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": options.app_version or default_version(),
        "id": options.app_id,
        "developer": {
            "name": options.developer,
            "websiteUrl": base,
            "privacyUrl": f"{base}{PRIVACY_PATH}",
            "termsOfUseUrl": f"{base}{TERMS_PATH}",
        },
        "name": {"short": options.name, "full": f"{options.name}: case audit assistant"},
        "description": {
            "short": "Reminds you of case audits and moderations, and takes them in chat.",
            "full": (
                "The quality-assurance assistant for children's services. It tells each "
                "practitioner and manager which case audits and moderations are theirs this "
                "month, reminds them before they are due, takes the audit in a card, and "
                "keeps the QA lead and the governance board up to date. Type 'help' to start."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT_COLOR,
        "bots": [
            {
                "botId": options.bot_id,
                "scopes": scopes,
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": scopes,
                        "commands": [
                            {"title": title, "description": description}
                            for title, description in COMMANDS
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [options.host],
        "webApplicationInfo": {
            "id": options.bot_id,
            "resource": f"api://{options.host}/botid-{options.bot_id}",
        },
    }


def icon_bytes(name: str) -> bytes:
    return resources.files("bot.teams").joinpath("package", name).read_bytes()


def package_bytes(options: PackageOptions) -> bytes:
    """The zip, in memory: manifest.json, color.png, outline.png at the top level."""
    manifest = build_manifest(options)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2) + "\n")
        for name in ICON_FILES:
            archive.writestr(name, icon_bytes(name))
    return buffer.getvalue()


def write_package(options: PackageOptions, out: Path) -> Path:
    """Write the package to `out` whole or not at all (a temporary file, then a rename)."""
    data = package_bytes(options)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(data)
    partial.replace(out)
    return out
