"""A local `include:` cannot be resolved.

## What it does
Reports a local include that names no file (or a glob that matches none), that
points outside the repository root, that includes itself through a cycle, that
is empty or broken, or the 151st include (GitLab's limit is 150).

## Why is this bad?
GitLab fails the pipeline with "Local file ... does not exist!" or a similar
message. cigen resolves local includes from the repository root exactly as
GitLab does, and never reads a file outside it.

## Example
```yaml
include:
  - local: ci/missing.yml

build:
  script:
    - make
```

## Use instead
```yaml
build:
  script:
    - make
```

## Fix safety
No fix.
"""

from cigen.lint.findings import Severity

CODE = "CG003"
NAME = "include-error"
SEVERITY = Severity.ERROR
SUMMARY = "A local include is missing, cyclic, outside the repository or over the limit"
