"""An include that needs the network was not checked.

## What it does
Notes each `project:`, `remote:`, `template:` or `component:` include. cigen
works offline, so jobs and templates defined there are unknown; checks that
depend on them (an `extends:` target, a `!reference`) are relaxed for this file.
With `--remote` cigen reads them from GitLab, and notes only those it could not
read, saying why (the token cannot read the project, not found, a timeout, a
component version no release matches, an include that names a CI/CD variable).

## Why is this bad?
It is not a problem in itself. The note tells you that the result covers only
what is in the repository.

## Example
```yaml
include:
  - template: Jobs/Build.gitlab-ci.yml

test:
  script:
    - make test
```

## Use instead
```yaml
test:
  script:
    - make test
```

## Fix safety
No fix.
"""

from cigen.lint.findings import Severity

CODE = "CG004"
NAME = "include-unresolved"
SEVERITY = Severity.INFO
SUMMARY = ("A project/remote/template/component include was not read (offline, or with "
           "--remote it could not be fetched)")
