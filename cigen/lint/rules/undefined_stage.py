"""A job's stage is not declared in `stages:`.

## What it does
Reports a `stage:` that is not in the pipeline's `stages:` list (or, without
one, in GitLab's defaults `build`, `test`, `deploy`), remembering that
`.pre` and `.post` always exist. The message is GitLab's own wording.

Only files that look like a whole pipeline are checked: one named
`.gitlab-ci.yml`, or one that declares `stages:` or `workflow:`; a fragment
that another file includes may rely on stages and jobs defined there.

## Why is this bad?
GitLab rejects the pipeline: "chosen stage does not exist".

## Example
```yaml
stages: [build, test]

publish:
  stage: release
  script:
    - make publish
```

## Use instead
```yaml
stages: [build, test, release]

publish:
  stage: release
  script:
    - make publish
```

## Fix safety
No fix: where the stage belongs in the order is the author's call.
"""

from collections.abc import Iterator

from cigen.lint.findings import Severity
from cigen.lint.rules import Hit, PipelineContext
from cigen.source.positions import YSeq

CODE = "CG305"
NAME = "undefined-stage"
SEVERITY = Severity.ERROR
SUMMARY = "A job's `stage` is not declared in `stages`"

DEFAULT_STAGES = ("build", "test", "deploy")


def check(context: PipelineContext) -> Iterator[Hit]:
    pipeline = context.pipeline
    if pipeline.unresolved_includes or not pipeline.is_whole_pipeline():
        return  # `stages:` may come from a file cigen cannot read
    declared = pipeline.config.get("stages")
    if declared is None:
        declared = pipeline.config.get("types")
    stages = [str(stage) for stage in declared] if isinstance(declared, YSeq) \
        else list(DEFAULT_STAGES)
    available = [".pre", *(stage for stage in stages if stage not in (".pre", ".post")),
                 ".post"]
    for facts in context.jobs:
        if facts.job.hidden:
            continue
        stage = facts.config.get("stage")
        if isinstance(stage, str) and stage not in available:
            span = facts.config.span_of("stage") or facts.span
            yield Hit(span, f"{facts.name} job: chosen stage {stage} does not exist; available "
                      f"stages are {', '.join(available)}", [facts.name])
