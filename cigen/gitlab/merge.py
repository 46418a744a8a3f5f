"""GitLab's deep merge of configuration mappings, keeping source spans.

Used by includes (an including file overrides what it includes), ``extends``
(a job overrides its ancestors) and ``default:``. Mappings merge key by key,
recursively; sequences and scalars are replaced whole, as GitLab does.
"""

from __future__ import annotations

from typing import Any

from cigen.source.positions import YMap


def without_keys(mapping: YMap, *keys: Any) -> YMap:
    """A shallow copy of ``mapping`` without ``keys``."""
    result = YMap(mapping.span)
    for key in mapping:
        if key not in keys:
            result.copy_entry(mapping, key)
    return result


def merge_all(mappings: list[YMap]) -> YMap:
    """Each mapping deep-merged over the ones before it: mappings merge key by key,
    anything else is replaced. A new mapping; no input is changed.

    Each value is copied at most once (merging pairwise would copy the growing
    result once per mapping: quadratic for a job extending thousands of templates
    or a file with many includes)."""
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
