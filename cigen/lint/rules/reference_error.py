"""A `!reference` tag GitLab cannot resolve.

## What it does
Reports `!reference [job, key, ...]` whose target does not exist, references
that form a circular chain, and chains deeper than 10 levels.

## Why is this bad?
GitLab refuses the pipeline ("!reference [...] could not be found").

## Example
```yaml
.setup:
  script:
    - make deps

build:
  script:
    - !reference [.setup, scripts]
    - make
```

## Use instead
```yaml
.setup:
  script:
    - make deps

build:
  script:
    - !reference [.setup, script]
    - make
```

## Fix safety
No fix.
"""

from cigen.lint.findings import Severity

CODE = "CG006"
NAME = "reference-error"
SEVERITY = Severity.ERROR
SUMMARY = "`!reference` points at a missing key, is circular, or nests too deep"
