"""An input whose value cannot be known offline.

## What it does
Notes, once per file, an input used in `$[[ inputs.NAME ]]` whose value cigen
cannot know: a required input (no `default`) of a file linted on its own, as
a CI/CD component template is, or a value passed through `expand_vars` that
refers to CI/CD variables. Where it is used, cigen checks the text as written
and never guesses a value.

## Why is this bad?
It is not a problem in itself. The note tells you that checks of the lines
that use the input could not see its value; lint the file that includes it
(with its `inputs:`) to check them with the real value.

## Example
```yaml
spec:
  inputs:
    environment:
---
deploy:
  script:
    - ./deploy $[[ inputs.environment ]]
```

## Use instead
```yaml
spec:
  inputs:
    environment:
      default: staging
---
deploy:
  script:
    - ./deploy $[[ inputs.environment ]]
```

## Fix safety
No fix.
"""

from cigen.lint.findings import Severity

CODE = "CG010"
NAME = "input-unset"
SEVERITY = Severity.INFO
SUMMARY = "An input has no value cigen can know offline; its uses are checked as written"
