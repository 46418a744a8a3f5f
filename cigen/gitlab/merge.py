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


def merge_all(mappings: list[YMap]) -> YMap:
    """``deep_merge`` of each mapping over the ones before it, in one pass.

    Merging them pairwise copies the growing result once per mapping, which is
    quadratic for a job that extends thousands of templates; here each value is
    copied at most once, and no input is changed."""
    result = YMap()
    owned = {id(result)}
    for mapping in mappings:
        _merge_into(result, mapping, owned)
    return result


def _merge_into(target: YMap, override: YMap, owned: set[int]) -> None:
    """Merge ``override`` into ``target``, copying any mapping of ``target`` that is not
    in ``owned`` (ids of the mappings this merge made) before changing it."""
    target.span = override.span or target.span
    for key, value in override.items():
        current = target.get(key)
        if isinstance(current, YMap) and isinstance(value, YMap) and key in target:
            if id(current) not in owned:
                copy = YMap(current.span)
                for existing in current:
                    copy.copy_entry(current, existing)
                owned.add(id(copy))
                current = copy
            _merge_into(current, value, owned)
            target.copy_entry(override, key, current, use_value=True)
        else:
            target.copy_entry(override, key)
