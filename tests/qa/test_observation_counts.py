"""Observations counted by service and team with the summary's small-number rules, and
the presets that switch observations on (only where their documents describe them)."""

from __future__ import annotations

import pytest

from qa.framework import PRESETS_DIR, FrameworkError, parse_framework, preset
from qa.report_observations import Unit, observation_figures, opened_from

TEAMS = {1: Unit("CIN 1", 10), 2: Unit("CIN 2", 10), 3: Unit("LAC 1", 20)}
SERVICES = {10: "Children in Need", 20: "Looked After"}


def _texts(by_team: dict[int | None, int], **kw: object) -> dict[str, str]:
    found = observation_figures(by_team, TEAMS, SERVICES, threshold=5, **kw)  # type: ignore[arg-type]
    out = {"total": found.total.text}
    out |= {line.scope: line.count.text for line in found.services}
    out |= {line.scope: line.count.text for line in found.teams}
    return out


def test_small_counts_are_hidden_and_none_can_be_worked_out() -> None:
    # CIN 1 has 7, CIN 2 has 2, LAC 1 has 6: CIN 2 is small, so a second team of its
    # service is withheld (else 9 - 7 gives it away).
    shown = _texts({1: 7, 2: 2, 3: 6})
    assert shown["CIN 2"] == "fewer than 5"
    assert shown["CIN 1"] == "not shown"
    assert shown["Children in Need"] == "9" and shown["Looked After"] == "6"
    assert shown["total"] == "15"


def test_figures_wider_than_suppress_from_are_shown_in_full() -> None:
    shown = _texts({1: 7, 2: 2, 3: 1}, is_open=opened_from("team"))
    assert shown["Looked After"] == "1"  # a service: open under `suppress_from: team`
    assert shown["LAC 1"] == "fewer than 5" and shown["CIN 2"] == "fewer than 5"
    everything = _texts({1: 7, 2: 2, 3: 1}, is_open=opened_from("authority"))
    assert everything["Looked After"] == "fewer than 5"
    # One hidden service in the authority's total: a second (the other) is withheld.
    assert everything["Children in Need"] == "not shown" and everything["total"] == "10"


def test_observations_of_no_team_count_in_the_total_only() -> None:
    shown = _texts({None: 3, 1: 6, 3: 6})
    assert shown["total"] == "15" and shown["CIN 2"] == "0"
    assert shown["Children in Need"] == "6" and shown["Looked After"] == "6"


def test_presets_switch_observations_on_only_where_the_document_describes_them() -> None:
    on = {name: preset(name).observations for name in ("camden", "city-of-london", "lambeth")}
    assert all(p.enabled for p in on.values())
    assert "team_manager" in on["camden"].by_roles  # 5.2.6 "from team manager upwards"
    assert "practitioner" not in on["camden"].by_roles
    assert on["city-of-london"].notify_roles == ["head_of_safeguarding"]  # Appendix 2
    assert on["lambeth"].notify_roles == ["principal_social_worker"]  # section 5: the Academy
    assert not preset("wandsworth").observations.enabled


def test_an_unknown_role_to_notify_is_refused() -> None:
    text = (PRESETS_DIR / "lambeth.yml").read_text(encoding="utf-8")
    text = text.replace("notify_roles: [principal_social_worker]", "notify_roles: [academy_head]")
    with pytest.raises(FrameworkError) as caught:
        parse_framework(text, filename="lambeth.yml")
    assert "academy_head" in str(caught.value)
