"""A suppression comment that no longer suppresses anything.

## What it does
Reports `# cigen: ignore[...]` and `# cigen: ignore-file[...]` comments whose
rules report nothing where the comment applies, and comments naming a rule
that does not exist. Suppressions of rules left out with `--select` or
`--ignore` are not judged.

## Why is this bad?
A stale suppression hides the next real problem on that line, and tells the
reader about a risk that is no longer there.

## Example
```yaml
build:
  image: docker:29.1-cli  # cigen: ignore[unpinned-docker-image] pinned by the mirror
  script:
    - docker info
```

## Use instead
```yaml
build:
  image: docker:29.1-cli
  script:
    - docker info
```

## Fix safety
No fix yet: removing the comment is safe and will be offered.
"""

from cigen.findings import Severity

CODE = "CG007"
NAME = "unused-suppression"
SEVERITY = Severity.INFO
SUMMARY = "A `# cigen: ignore[...]` comment suppresses nothing (or names no rule)"
