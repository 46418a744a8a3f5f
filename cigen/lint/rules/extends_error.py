"""An `extends:` chain GitLab would reject.

## What it does
Reports `extends:` naming a job or template that does not exist, a circular
chain, and chains deeper than GitLab's 11 levels. Messages use GitLab's own
wording ("unknown keys in `extends`", "circular dependency detected in
`extends`", "nesting too deep in `extends`") so they can be searched.

## Why is this bad?
GitLab refuses the pipeline.

## Example
```yaml
build:
  extends: .docker-bulid
  script:
    - make
```

## Use instead
```yaml
.docker-build:
  image: alpine:3.20

build:
  extends: .docker-build
  script:
    - make
```

## Fix safety
No fix.
"""

from cigen.lint.findings import Severity

CODE = "CG005"
NAME = "extends-error"
SEVERITY = Severity.ERROR
SUMMARY = "`extends` names an unknown job, is circular, or nests deeper than 11 levels"
