"""A key GitLab does not know, usually a typo.

## What it does
Validates the resolved pipeline against GitLab's own CI JSON schema and
reports keys the schema does not allow where they are written, suggesting
the closest known keyword.

## Why is this bad?
GitLab rejects the pipeline ("jobs:build config contains unknown keys:
artifact"), but only after the push. Other offline validators report the same
problem as a JSON path without a line, or flag valid `!reference` tags.

## Example
```yaml
build:
  script:
    - make
  artifact:
    paths: [dist/]
```

## Use instead
```yaml
build:
  script:
    - make
  artifacts:
    paths: [dist/]
```

## Fix safety
No fix: the intended keyword is a guess.
"""

from cigen.lint.findings import Severity

CODE = "CG301"
NAME = "unknown-keyword"
SEVERITY = Severity.ERROR
SUMMARY = "A key GitLab's CI schema does not allow there (a typo?)"
