"""What can this person do here? The answer to `help`, from their roles.

The framework decides it: a role with an audit cadence audits, a role named in the
moderation policy moderates, a role's `sees` decides how wide a status it may ask
for, and the framework's QA lead role gets the operator commands. This module only
works out *which* things apply; the words (in the authority's own vocabulary) live
in the `help` templates, so Camden's people read "learning conversation".
"""

from __future__ import annotations

from typing import Any

from qa.framework import Framework
from storage.models import Person

# Widest first: a person with several roles gets the widest view any of them allows.
_SCOPES = ("all", "service", "team")
_AUDIT_ACTIVITIES = {"audit", "themed_audit", "dip_sample"}


def first_name(person: Person) -> str:
    """How the bot greets someone: the first word of their name."""
    parts = person.name.split()
    return parts[0] if parts else ""


def role_labels(roles: list[str], framework: Framework) -> list[str]:
    """The framework's labels for `roles`, in framework order, skipping unknown keys."""
    return [r.label for r in framework.roles if r.key in roles]


def status_scope(roles: list[str], framework: Framework) -> str | None:
    """ "all", "service" or "team": how wide a status this person may see; None: only own."""
    if framework.qa_lead_role in roles:
        return "all"
    seen = {r.sees for r in framework.roles if r.key in roles}
    return next((scope for scope in _SCOPES if scope in seen), None)


def audits(roles: list[str], framework: Framework) -> bool:
    held = set(roles)
    if any(c.role in held and c.activity in _AUDIT_ACTIVITIES for c in framework.cadences):
        return True
    return framework.dip_sample is not None and framework.dip_sample.by_role in held


def moderates(roles: list[str], framework: Framework) -> bool:
    held = set(roles)
    policy = framework.moderation
    named = set(policy.moderator_roles) | set(policy.panel_roles)
    if policy.chair_role:
        named.add(policy.chair_role)
    if named & held:
        return True
    return any(c.role in held and c.activity == "moderation" for c in framework.cadences)


def receives_escalations(roles: list[str], framework: Framework) -> bool:
    held = set(roles)
    policy = framework.escalation
    named = set(policy.overdue_actions_roles)
    for rule in policy.grades:
        named |= set(rule.roles) | set(rule.re_escalate_to)
    for flag in framework.audit_form.urgent_flags:
        named |= set(flag.roles)
    return bool(named & held)


def raises_alerts(roles: list[str], framework: Framework) -> bool:
    """A holder of a role that raises QA alerts (Lambeth: IROs and CP chairs) types `alert`."""
    policy = framework.qa_alerts
    return policy is not None and bool(set(roles) & set(policy.raised_by))


def holds_reviews(roles: list[str], framework: Framework) -> bool:
    """A holder of the weekly case reviews' owner role (Lambeth: the practice assurance
    team) is asked each week for the review meetings' outcomes."""
    owner = framework.escalation.case_review_owner_role
    return owner is not None and owner in roles


def help_context(
    *, person: Person, framework: Framework, didnt_catch: str | None = None
) -> dict[str, Any]:
    """The `help` template's context for `person` (JSON-safe: it may be stored)."""
    roles = list(person.roles or [])
    return {
        "name": first_name(person),
        "role_labels": role_labels(roles, framework),
        "audits": audits(roles, framework),
        "moderates": moderates(roles, framework),
        "escalations": receives_escalations(roles, framework),
        "status_scope": status_scope(roles, framework),
        "lead": framework.qa_lead_role in roles,
        "raises_alerts": raises_alerts(roles, framework),
        "holds_reviews": holds_reviews(roles, framework),
        "observes": bool(set(framework.observations.by_roles).intersection(roles)),
        "calibration": framework.qa_lead_role in roles and framework.calibration is not None,
        "didnt_catch": didnt_catch,
    }
