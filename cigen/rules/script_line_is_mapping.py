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
No fix yet; quoting the line keeps its meaning and will be offered.
"""

from collections.abc import Iterator

from cigen.findings import Severity
from cigen.rules import Hit, PipelineContext
from cigen.schema import script_mapping_paths

CODE = "CG304"
NAME = "script-line-is-mapping"
SEVERITY = Severity.ERROR
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
                  [] if job.startswith(".") else [job])
