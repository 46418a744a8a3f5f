"""A value of the wrong type or outside the allowed set.

## What it does
Validates the resolved pipeline against GitLab's own CI JSON schema and
reports values that GitLab would refuse: `when: sometimes`, `image: 5`, a
string where a list is needed. `oneOf`/`anyOf` failures are collapsed into the
one most useful message.

## Why is this bad?
GitLab rejects the pipeline after the push.

## Example
```yaml
build:
  script:
    - make
  when: sometimes
```

## Use instead
```yaml
build:
  script:
    - make
  when: manual
```

## Fix safety
No fix.
"""

from cigen.lint.findings import Severity

CODE = "CG302"
NAME = "invalid-value"
SEVERITY = Severity.ERROR
SUMMARY = "A value has the wrong type or is not one GitLab's CI schema allows"
