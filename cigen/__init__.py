"""cigen: generate and lint GitLab CI pipelines that build container images.

`cigen lint` runs on every commit, so start-up time is part of the design:
heavy libraries are imported only on the paths that need them, and the
records on the lint path are dataclasses without a generated ``__repr__`` and
``__eq__`` (generating those costs about half a millisecond per class, every
time the program starts; the records are compared by their fields where
needed, never as wholes).
"""

__version__ = "0.1.0"
