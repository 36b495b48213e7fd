"""Sample template contexts, one module per feature, merged by tests/bot/test_render.py.

Each module defines `SAMPLES: dict[str, dict]` (template name -> context) and may
define `EXTRA: dict[str, list[dict]]` (more variants of a template's context).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any


def collect() -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    samples: dict[str, dict[str, Any]] = {}
    extra: dict[str, list[dict[str, Any]]] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, context in getattr(module, "SAMPLES", {}).items():
            if name in samples:
                raise AssertionError(f"two sample modules define template {name!r}")
            samples[name] = context
        for name, contexts in getattr(module, "EXTRA", {}).items():
            extra.setdefault(name, []).extend(contexts)
    return samples, extra
