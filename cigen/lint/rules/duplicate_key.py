"""A mapping defines the same key twice.

## What it does
Reports a key that appears a second time in the same mapping, such as two
`variables:` blocks in one job or two jobs with the same name.

## Why is this bad?
GitLab keeps only the last one and says nothing: the first block is silently
ignored, which is rarely what the author meant.

## Example
```yaml
build:
  variables:
    A: "1"
  script:
    - echo "$A"
  variables:
    B: "2"
```

## Use instead
```yaml
build:
  variables:
    A: "1"
    B: "2"
  script:
    - echo "$A"
```

## Fix safety
No fix: which of the two definitions is wanted is the author's call.
"""

from cigen.lint.findings import Severity

CODE = "CG002"
NAME = "duplicate-key"
SEVERITY = Severity.ERROR
SUMMARY = "A mapping defines the same key twice; GitLab silently keeps the last"
