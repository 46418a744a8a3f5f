"""cigen: generate and lint GitLab CI pipelines that build container images.

`cigen lint` runs on every commit, so start-up time is part of the design:
heavy libraries are imported only on the paths that need them, and the
records on the lint path are plain classes with ``__slots__`` and a
written-out ``__init__`` rather than dataclasses. Importing ``dataclasses``
costs under 1 ms once the command line has loaded ``inspect``, but generating
a slotted dataclass costs about 0.5 ms, and there are some three dozen
records: about 18 ms of every run. They compare by identity; where two
records must be compared, the code compares their fields.

The subpackages are the stages of the data flow, each importing only the
ones below it: ``cli`` > ``init`` > ``lint`` > ``jobs``, ``runner`` >
``gitlab``, ``shell`` > ``source``.
"""

__version__ = "0.1.0"
