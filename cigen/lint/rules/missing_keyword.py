"""A mapping lacks a key GitLab requires.

## What it does
Validates the resolved pipeline against GitLab's own CI JSON schema and
reports required keys that are missing, such as `job:` in a `needs:` entry
or `aud:` in an `id_tokens:` token.

## Why is this bad?
GitLab rejects the pipeline after the push.

## Example
```yaml
sign:
  script:
    - cosign version
  id_tokens:
    SIGSTORE_ID_TOKEN: {}
```

## Use instead
```yaml
sign:
  script:
    - cosign version
  id_tokens:
    SIGSTORE_ID_TOKEN:
      aud: sigstore
```

## Fix safety
No fix.
"""

from cigen.lint.findings import Severity

CODE = "CG303"
NAME = "missing-keyword"
SEVERITY = Severity.ERROR
SUMMARY = "A mapping lacks a key GitLab's CI schema requires"
