"""The Teams app package: three files, icons of the right size, a manifest the schema accepts.

The official manifest schema ships in the npm package `@microsoft/app-manifest`. The
`manifest_schema` fixture looks for it under tests/.cache/app-manifest/ (gitignored)
and fetches it with `npm pack` when npm is available; without either, the schema
test is skipped and says why.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.commands.teams_package import app as teams_package_cli
from bot.teams.package import MANIFEST_VERSION, PackageError, PackageOptions, package_bytes

CACHE = Path(__file__).parents[1] / ".cache" / "app-manifest"
SCHEMA = (
    Path("package")
    / "build"
    / "json-schemas"
    / "teams"
    / f"v{MANIFEST_VERSION}"
    / "MicrosoftTeams.schema.json"
)
BOT_ID = "99999999-8888-7777-6666-555555555555"
FRAMEWORK = Path(__file__).parents[1] / "data" / "framework-small.yml"
OPTIONS = PackageOptions(bot_id=BOT_ID, app_id=BOT_ID, host="qa-bot.testshire.gov.uk")


def _fetch_schema_package() -> str | None:
    """Unpack `@microsoft/app-manifest` into the cache; the reason when that is impossible.

    It is unpacked beside the cache and renamed into place, so two test runs at once
    (CI runs SQLite and PostgreSQL side by side) never read a half-written schema.
    """
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not on PATH and tests/.cache/app-manifest/ has no schema"
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    unpacked = Path(tempfile.mkdtemp(dir=CACHE.parent, prefix="app-manifest-"))
    try:
        result = subprocess.run(
            [npm, "pack", "@microsoft/app-manifest", "--pack-destination", str(unpacked)],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(unpacked, ignore_errors=True)
        return "npm pack @microsoft/app-manifest timed out (no registry access?)"
    if result.returncode != 0:
        shutil.rmtree(unpacked, ignore_errors=True)
        return f"npm pack @microsoft/app-manifest failed: {result.stderr.strip()[-300:]}"
    tarballs = sorted(unpacked.glob("microsoft-app-manifest-*.tgz"))
    if not tarballs:
        shutil.rmtree(unpacked, ignore_errors=True)
        return "npm pack produced no tarball"
    with tarfile.open(tarballs[-1]) as archive:
        archive.extractall(unpacked, filter="data")
    if (CACHE / SCHEMA).exists():  # another run got there first
        shutil.rmtree(unpacked, ignore_errors=True)
        return None
    shutil.rmtree(CACHE, ignore_errors=True)  # an old, incomplete cache
    try:
        unpacked.rename(CACHE)
    except OSError:  # renamed by another run between the check and here
        shutil.rmtree(unpacked, ignore_errors=True)
    return None


@pytest.fixture(scope="session")
def manifest_schema() -> dict[str, Any]:
    path = CACHE / SCHEMA
    if not path.exists():
        reason = _fetch_schema_package()
        if reason is not None:
            pytest.skip(f"Teams manifest schema unavailable: {reason}")
    if not path.exists():
        pytest.skip(f"@microsoft/app-manifest has no schema v{MANIFEST_VERSION} ({path})")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
    return schema


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_package_holds_the_manifest_and_both_icons_at_the_top_level() -> None:
    files = unzip(package_bytes(OPTIONS))

    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]


def test_the_icons_have_the_sizes_teams_requires() -> None:
    files = unzip(package_bytes(OPTIONS))

    color = Image.open(io.BytesIO(files["color.png"]))
    outline = Image.open(io.BytesIO(files["outline.png"]))
    assert color.format == outline.format == "PNG"
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    # The outline icon is white on a transparent background.
    rgba = outline.convert("RGBA")
    pixels = [rgba.getpixel((x, y)) for x in range(32) for y in range(32)]
    assert min(p[3] for p in pixels) == 0
    assert {p[:3] for p in pixels if p[3] > 200} == {(255, 255, 255)}


def test_the_manifest_names_the_bot_its_scopes_and_commands() -> None:
    manifest = json.loads(unzip(package_bytes(OPTIONS))["manifest.json"])

    (bot,) = manifest["bots"]
    assert bot["botId"] == BOT_ID
    assert set(bot["scopes"]) == {"personal", "team"}
    titles = [c["title"] for c in bot["commandLists"][0]["commands"]]
    assert titles == ["help", "my", "status"]
    assert manifest["webApplicationInfo"]["id"] == BOT_ID
    assert manifest["validDomains"] == ["qa-bot.testshire.gov.uk"]
    assert manifest["manifestVersion"] == MANIFEST_VERSION


def test_the_manifest_validates_against_the_official_schema(
    manifest_schema: dict[str, Any],
) -> None:
    import jsonschema

    manifest = json.loads(unzip(package_bytes(OPTIONS))["manifest.json"])

    validator = jsonschema.Draft4Validator(manifest_schema)
    errors = sorted(validator.iter_errors(manifest), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (PackageOptions(bot_id="not-a-guid", app_id=BOT_ID, host="a.example.org"), "bot id"),
        (PackageOptions(bot_id=BOT_ID, app_id=BOT_ID, host="https://a.example.org"), "host"),
        (PackageOptions(bot_id=BOT_ID, app_id=BOT_ID, host="a.example.org", name="x" * 31), "name"),
    ],
)
def test_unusable_options_are_refused_with_the_reason(
    options: PackageOptions, complaint: str
) -> None:
    with pytest.raises(PackageError, match=complaint):
        package_bytes(options)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("TEAMS_CLIENT_ID", "QA_BOT_TEAMS_PLAYGROUND", "QA_BOT_PUBLIC_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QA_BOT_FRAMEWORK", str(FRAMEWORK))
    return tmp_path


def test_the_command_writes_the_zip_with_the_client_id_from_settings(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEAMS_CLIENT_ID", BOT_ID)
    out = cli_env / "out" / "qa-bot-teams.zip"

    result = CliRunner().invoke(
        teams_package_cli, ["--out", str(out), "--host", "qa-bot.testshire.gov.uk"]
    )

    assert result.exit_code == 0, result.output
    manifest = json.loads(unzip(out.read_bytes())["manifest.json"])
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["developer"]["name"] == "Testshire County Council"
    assert not list(out.parent.glob("*.partial"))


def test_the_command_without_a_bot_id_says_what_to_set(cli_env: Path) -> None:
    out = cli_env / "qa-bot-teams.zip"

    result = CliRunner().invoke(
        teams_package_cli, ["--out", str(out), "--host", "qa-bot.testshire.gov.uk"]
    )

    assert result.exit_code == 1
    assert "TEAMS_CLIENT_ID" in result.output
    assert not out.exists()


def test_the_command_with_a_bad_host_writes_nothing(cli_env: Path) -> None:
    out = cli_env / "qa-bot-teams.zip"

    result = CliRunner().invoke(
        teams_package_cli,
        ["--out", str(out), "--host", "localhost:3978", "--bot-id", BOT_ID],
    )

    assert result.exit_code == 1
    assert "host" in result.output
    assert not out.exists()


def test_the_command_takes_the_host_from_settings_as_the_interface_documents(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`qa-bot teams-package --out FILE.zip` (docs/interface.md) works with QA_BOT_PUBLIC_HOST."""
    monkeypatch.setenv("TEAMS_CLIENT_ID", BOT_ID)
    out = cli_env / "qa-bot-teams.zip"
    missing = CliRunner().invoke(teams_package_cli, ["--out", str(out)])
    assert missing.exit_code == 1 and "QA_BOT_PUBLIC_HOST" in missing.output
    monkeypatch.setenv("QA_BOT_PUBLIC_HOST", "qa-bot.testshire.gov.uk")
    result = CliRunner().invoke(teams_package_cli, ["--out", str(out)])
    assert result.exit_code == 0, result.output
    manifest = json.loads(unzip(out.read_bytes())["manifest.json"])
    assert manifest["validDomains"] == ["qa-bot.testshire.gov.uk"]


@pytest.mark.parametrize(
    ("authority", "expected"),
    [
        ("London Borough of Camden, Children and Learning", "London Borough of Camden"),
        ("City of London Corporation, People's Directorate", "City of London Corporation"),
        ("The Royal Borough of Kensington and Chelsea", "The Royal Borough of Kensington"),
        ("Testshire County Council", "Testshire County Council"),
        ("London Borough of Barking and Dagenham", "London Borough of Barking"),
    ],
)
def test_the_developer_name_is_cut_at_a_word_without_a_trailing_comma(
    authority: str, expected: str
) -> None:
    from bot.teams.package import developer_name

    assert developer_name(authority) == expected


def test_the_command_names_camden_without_a_trailing_comma(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_BOT_FRAMEWORK", "camden")
    out = cli_env / "qa-bot-teams.zip"
    args = ["--out", str(out), "--host", "qa-bot.testshire.gov.uk", "--bot-id", BOT_ID]

    result = CliRunner().invoke(teams_package_cli, args)

    assert result.exit_code == 0, result.output
    manifest = json.loads(unzip(out.read_bytes())["manifest.json"])
    assert manifest["developer"]["name"] == "London Borough of Camden"


def test_the_privacy_and_terms_urls_are_pages_the_bot_serves() -> None:
    """The manifest's links must not be 404s: the bot serves both paths itself."""
    import asyncio
    from urllib.parse import urlsplit

    import httpx
    from fastapi import FastAPI

    from bot.settings import Settings
    from bot.static_pages import mount_static_pages
    from bot.teams.package import build_manifest

    developer = build_manifest(OPTIONS)["developer"]
    api = FastAPI()
    settings = Settings(_env_file=None, QA_BOT_FRAMEWORK=str(FRAMEWORK))  # type: ignore[call-arg]
    mount_static_pages(api, settings)

    async def get(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot") as client:
            return await client.get(path)

    for key, words in (("privacyUrl", "privacy notice"), ("termsOfUseUrl", "terms of use")):
        page = asyncio.run(get(urlsplit(developer[key]).path))
        assert page.status_code == 200, key
        assert page.headers["content-type"].startswith("text/html")
        assert words in page.text and "Testshire County Council" in page.text
        assert "case reference" in page.text


def test_the_served_app_answers_the_privacy_and_terms_pages(db_url: str, engine: Any) -> None:
    """The manifest links to /privacy and /terms: `qa-bot serve`'s app must answer them."""
    from fastapi.testclient import TestClient

    from bot.app import build_app
    from bot.deps import Deps
    from bot.settings import Settings
    from qa.framework import load_framework

    settings = Settings(_env_file=None, QA_BOT_DATABASE_URL=db_url)  # type: ignore[call-arg]
    deps = Deps(settings, load_framework("camden"), engine)
    with TestClient(build_app(deps, background=False)) as client:
        for path, words in (("/privacy", "privacy notice"), ("/terms", "terms of use")):
            page = client.get(path)
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            assert words in page.text.lower()
