"""cigen: generate and lint GitLab CI pipelines that build container images."""

__version__ = "0.1.0"
