"""`needs:` or `dependencies:` names a job that does not exist.

## What it does
Reports names in `needs:` and `dependencies:` that are not a visible job of
the pipeline (hidden `.templates` are not jobs). Entries with `optional:
true`, and needs on other projects or pipelines, are not checked.

Only files that look like a whole pipeline are checked: one named
`.gitlab-ci.yml`, or one that declares `stages:` or `workflow:`; a fragment
that another file includes may rely on stages and jobs defined there.

## Why is this bad?
GitLab rejects the pipeline ("undefined need" / "undefined dependency"),
often after a job was renamed.

## Example
```yaml
build:
  script:
    - make
test:
  needs: [biuld]
  script:
    - make test
```

## Use instead
```yaml
build:
  script:
    - make
test:
  needs: [build]
  script:
    - make test
```

## Fix safety
No fix.
"""

import re
from collections.abc import Iterator

from cigen.lint.findings import Severity
from cigen.lint.rules import Hit, PipelineContext
from cigen.source.positions import YMap, YSeq

CODE = "CG306"
NAME = "undefined-need"
SEVERITY = Severity.ERROR
SUMMARY = "`needs`/`dependencies` names a job that does not exist in the pipeline"

# `needs: ["build: [linux, amd64]"]` picks one job of a parallel:matrix.
MATRIX_SUFFIX = re.compile(r"^(.*?): \[.*\]$")


def check(context: PipelineContext) -> Iterator[Hit]:
    pipeline = context.pipeline
    if pipeline.unresolved_includes or not pipeline.is_whole_pipeline():
        return  # the job may be defined in a file cigen cannot read
    visible = {name for name, job in pipeline.jobs.items() if not job.hidden}
    for facts in context.jobs:
        if facts.job.hidden:
            continue
        for keyword in ("needs", "dependencies"):
            entries = facts.config.get(keyword)
            if isinstance(entries, YMap):  # needs: {job: ...} is not a list
                entries = None
            if not isinstance(entries, YSeq):
                continue
            for index, entry in enumerate(entries):
                span = entries.span_at(index)
                name = entry
                if isinstance(entry, YMap):
                    if entry.get("optional") is True or "project" in entry \
                            or "pipeline" in entry:
                        continue
                    name = entry.get("job")
                    span = entry.span_of("job") or span
                if not isinstance(name, str) or span is None:
                    continue
                matrix = MATRIX_SUFFIX.match(name)
                base = matrix.group(1) if matrix else name
                if base in visible:
                    continue
                what = "need" if keyword == "needs" else "dependency"
                hidden = " (a hidden template is not a job)" if base.startswith(".") else ""
                yield Hit(span, f"{facts.name} job: undefined {what}: {name}{hidden}",
                          [facts.name])
