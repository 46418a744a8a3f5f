"""GitLab's deep merge of configuration mappings, keeping source spans.

Used by includes (an including file overrides what it includes), ``extends``
(a job overrides its ancestors) and ``default:``. Mappings merge key by key,
recursively; sequences and scalars are replaced whole, as GitLab does.
"""

from __future__ import annotations

from typing import Any

from cigen.source.positions import YMap


def deep_merge(base: YMap, override: YMap) -> YMap:
    """A new mapping: ``base`` with ``override`` merged over it. Inputs are not changed."""
    result = YMap(override.span or base.span)
    for key in base:
        result.copy_entry(base, key)
    for key, value in override.items():
        current = result.get(key)
        if isinstance(current, YMap) and isinstance(value, YMap) and key in base:
            result.copy_entry(override, key, deep_merge(current, value), use_value=True)
        else:
            result.copy_entry(override, key)
    return result


def without_keys(mapping: YMap, *keys: Any) -> YMap:
    """A shallow copy of ``mapping`` without ``keys``."""
    result = YMap(mapping.span)
    for key in mapping:
        if key not in keys:
            result.copy_entry(mapping, key)
    return result
