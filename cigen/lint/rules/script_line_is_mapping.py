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
Safe: the line is wrapped in single quotes (quotes inside it doubled), so
YAML reads exactly the text that was written as one string, the command the
author meant. Offered for one-line items.
"""

from collections.abc import Iterator

from cigen.gitlab.schema import script_mapping_paths
from cigen.lint.findings import Severity
from cigen.lint.fix import Edit, Fix, fix_of
from cigen.lint.rules import Hit, PipelineContext
from cigen.source.positions import Span, YMap
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
    if source is None or value_span is None or not isinstance(item[key], str | None):
        return None
    if key_span.style or value_span.style or value_span.end_line != key_span.line:
        return None
    start = source.offset(key_span.line, key_span.column)
    end = source.offset(value_span.end_line, value_span.end_column)
    written = source.text[start:end]
    quoted = "'" + written.replace("'", "''") + "'"
    return fix_of("quote the line", True, Edit(source.path, start, end, quoted))
