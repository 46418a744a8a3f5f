"""CI/CD inputs that do not match the `spec: inputs:` of the file they are for.

## What it does
Checks the values an `include:` gives with `inputs:` against the `spec:
inputs:` header of the included file, and the header's own defaults: an
input the file does not declare, a required input (one without `default`)
not given, a value of the wrong `type` (`string`, `number`, `boolean`,
`array`), not among its `options`, or not matching its `regex`; also an
interpolation block that is not `$[[ inputs.NAME ]]` or names an unknown
function.

## Why is this bad?
GitLab refuses to create the pipeline: the configuration is invalid until the
inputs match.

## Example
```yaml
spec:
  inputs:
    replicas:
      type: number
      default: three
---
deploy:
  script:
    - ./deploy --replicas $[[ inputs.replicas ]]
```

## Use instead
```yaml
spec:
  inputs:
    replicas:
      type: number
      default: 3
---
deploy:
  script:
    - ./deploy --replicas $[[ inputs.replicas ]]
```

## Fix safety
No fix: only the author knows which value was meant.
"""

from cigen.lint.findings import Severity

CODE = "CG009"
NAME = "input-error"
SEVERITY = Severity.ERROR
SUMMARY = "An include's inputs do not match the spec:inputs of the file"
