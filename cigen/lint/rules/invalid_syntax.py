"""The file cannot be read as a GitLab CI configuration or runner config.

## What it does
Reports a file that GitLab (or GitLab Runner) would refuse before looking at
any job: invalid YAML or TOML syntax, a file that is not UTF-8 text, an empty
file, a top level that is not a mapping, an alias that expands to more than
GitLab accepts ("the parsed YAML is too big"), nesting deeper than 100 levels,
or a file larger than 2 MiB.

## Why is this bad?
GitLab rejects the whole pipeline with a short error on the pipeline page, after
the push. Finding it at commit time, with the line, saves a round trip.

## Example
```yaml
build:
  script: [make, make test
```

## Use instead
```yaml
build:
  script: [make, make test]
```

## Fix safety
No fix: the intent of broken syntax cannot be guessed.
"""

from cigen.lint.findings import Severity

CODE = "CG001"
NAME = "invalid-syntax"
SEVERITY = Severity.ERROR
SUMMARY = "The file is not valid YAML/TOML, or exceeds GitLab's size and depth limits"
