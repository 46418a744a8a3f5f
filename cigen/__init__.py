"""cigen: generate and lint GitLab CI pipelines that build container images.

`cigen lint` runs on every commit, so start-up time is part of the design:
heavy libraries are imported only on the paths that need them, the lint
engine loads in a second process while the options are parsed (see
:mod:`cigen.launcher`), and the records on the lint path are plain classes
with ``__slots__`` and a written-out ``__init__`` rather than dataclasses
(the ``dataclasses`` module and the ``inspect`` module it needs cost about
15 ms to import, and generating each class another 0.3 to 1 ms, every time
the program starts). They compare by identity; where two records must be
compared, the code compares their fields.
"""

__version__ = "0.1.0"
