"""A job with nothing to run.

## What it does
Reports a visible job that has neither `script:` (directly, through
`extends`, or from `!reference`), nor `trigger:`, nor `run:`. Pipelines
with includes cigen cannot read are not checked, since the rest of a job may
be defined there.

Only files that look like a whole pipeline are checked: one named
`.gitlab-ci.yml`, or one that declares `stages:` or `workflow:`; a fragment
that another file includes may rely on stages and jobs defined there.

## Why is this bad?
GitLab rejects the pipeline: "jobs:build config should implement the
script:, run:, or trigger: keyword".

## Example
```yaml
build:
  image: alpine:3.20
```

## Use instead
```yaml
build:
  image: alpine:3.20
  script:
    - make
```

## Fix safety
No fix.
"""

from collections.abc import Iterator

from cigen.lint.findings import Severity
from cigen.lint.rules import Hit, PipelineContext

CODE = "CG307"
NAME = "job-without-script"
SEVERITY = Severity.ERROR
SUMMARY = "A job has no `script`, `trigger` or `run`"


def check(context: PipelineContext) -> Iterator[Hit]:
    pipeline = context.pipeline
    if pipeline.unresolved_includes or not pipeline.is_whole_pipeline():
        return  # the rest of a job may be defined in a file cigen cannot read
    for facts in context.jobs:
        job = facts.job
        if job.hidden or job.incomplete:
            continue
        if any(key in facts.config for key in ("script", "trigger", "run")):
            continue
        span = facts.pipeline.config.key_spans.get(job.name) or facts.span
        yield Hit(span, f"jobs:{job.name} config should implement the script:, run:, or "
                  "trigger: keyword", [job.name])
