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
Safe: the comment is removed (the whole line when the comment stood alone),
since it changes nothing cigen reports. When the directive ends a longer
comment (`# see docs/ci.md  # cigen: ignore[...]`), only the directive goes
and the rest of the comment stays. Only real comments are suppressions: the
same words inside a quoted string or a block scalar are data, and never
touched. Comments naming an unknown rule are left for a person: they may be a
typo of a rule that should stay silenced.
"""

from cigen.lint.findings import Severity

CODE = "CG007"
NAME = "unused-suppression"
SEVERITY = Severity.INFO
FIXABLE = True
SUMMARY = "A `# cigen: ignore[...]` comment suppresses nothing (or names no rule)"
