"""A script line that YAML reads as a mapping because of an unquoted `: `.

## What it does
Reports `script`, `before_script` and `after_script` items that are
mappings, such as `- echo "Authorization: $TOKEN"` or
`- curl -H "JOB-TOKEN: $CI_JOB_TOKEN" ...`: a colon followed by a space turns
the line into a key and a value, even inside what looks like a quoted string,
because the quotes do not start the line.

## Why is this bad?
GitLab rejects the job ("script config should be a string or a nested array
of strings up to 10 levels deep") and the message does not point at the
colon. Quoting the whole line, or using a block scalar, keeps it a string.

## Example
```yaml
upload:
  script:
    - curl -H "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file app.tar.gz "$PACKAGE_URL"
```

## Use instead
```yaml
upload:
  script:
    - 'curl -H "JOB-TOKEN: $CI_JOB_TOKEN" --upload-file app.tar.gz "$PACKAGE_URL"'
```

## Fix safety
Safe: the line is written as one quoted string — in single quotes, or in
double quotes when it holds a `'` but no `"` or `\\`, or in single quotes with
its quotes doubled — so YAML reads exactly the text that was written, the
command the author meant. A one-entry flow mapping (`- {echo Status: ok}`)
becomes the quoted text inside its braces. Offered for one-line items of one
entry, with no anchor, tag or alias, whose key and value are written plain.
"""

import re
from collections.abc import Iterator

from cigen.gitlab.schema import script_mapping_paths
from cigen.lint.findings import Severity
from cigen.lint.fix import Edit, Fix, fix_of, span_offsets
from cigen.lint.rules import Hit, PipelineContext
from cigen.source.positions import Span, YMap, YSeq
from cigen.source.scalar_map import map_scalar
from cigen.source.text import SourceText

CODE = "CG304"
NAME = "script-line-is-mapping"
SEVERITY = Severity.ERROR
FIXABLE = True
SUMMARY = "A script line with an unquoted ': ' became a YAML mapping, not a command"


def check(context: PipelineContext) -> Iterator[Hit]:
    config = context.pipeline.config
    for path, item in script_mapping_paths(config):
        key = next(iter(item), "")
        span = item.key_spans.get(key) or item.span
        if span is None:
            continue
        job = str(path[0])
        yield Hit(span,
                  f"this {path[1]} line is a YAML mapping, not a command: the ': ' after "
                  f"`{str(key)[-20:]}` splits it into a key and a value; quote the whole line",
                  [] if job.startswith(".") else [job],
                  _quote_fix(context.pipeline.sources.get(span.path), item, key, span))


def _quote_fix(source: SourceText | None, item: YMap, key: str, key_span: Span) -> Fix | None:
    value_span = item.value_spans.get(key)
    if source is None or value_span is None or item.span is None or len(item) != 1 \
            or isinstance(item[key], YMap | YSeq):
        return None
    if key_span.style or value_span.style or key_span.path != source.path \
            or value_span.path != source.path \
            or not key_span.line == key_span.end_line == value_span.end_line:
        return None
    text = source.text
    key_start, key_end = span_offsets(source, key_span)
    value_start, value_end = span_offsets(source, value_span)
    if text[key_start:key_end] != key or not _COLON.fullmatch(text, key_end, value_start) \
            or (value_end > value_start and text[value_start] in "&!*"):
        return None  # an anchor, tag or alias: the text is not the line alone
    written = text[key_start:value_end]
    start, end = span_offsets(source, item.span)
    if text[start:start + 1] == "{":
        # A flow mapping: its braces go too, and nothing else may sit inside them.
        if item.span.line != item.span.end_line or text[end - 1:end] != "}" \
                or text[start + 1:key_start].strip() or text[value_end:end - 1].strip():
            return None
    elif start == key_start:
        end = value_end
    else:
        return None
    quoted = _quoted(written)
    decoded = map_scalar(quoted, 0, len(quoted), quoted[0])
    if decoded is None or decoded.value != written:
        return None
    return fix_of("quote the line", True, Edit(source.path, start, end, quoted))


# Between a key and its value: the `:` and the space that made the line a mapping.
_COLON = re.compile(r"[ \t]*:(?:[ \t]+|$)")


def _quoted(line: str) -> str:
    """``line`` as a YAML string in the quoting that needs no escape, if any does."""
    if "'" not in line:
        return f"'{line}'"
    if '"' not in line and "\\" not in line:
        return f'"{line}"'
    return "'" + line.replace("'", "''") + "'"
