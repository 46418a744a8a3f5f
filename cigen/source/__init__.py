"""Stage 1, reading files: bytes to text to positioned values.

Owns everything about a file as written: which files may be read and where
the repository root is (:mod:`.files`), the size and encoding checks and the
line index (:mod:`.text`), YAML read as GitLab's parser reads it into values
that remember where they were written (:mod:`.yaml_reader`, :mod:`.positions`),
the positions of keys in TOML files (:mod:`.toml_positions`), the HCL of
Docker Bake files (:mod:`.hcl`), ``NAME=value`` settings files
(:mod:`.env_file`), and the source text of every character of
a YAML scalar, for edits (:mod:`.scalar_map`).
Takes in: paths. Hands on: ``SourceText``, ``YMap``/``YSeq``
values with a ``Span`` for every key and item, and ``Problem``s for what
cannot be read. Knows nothing of GitLab's keywords.
"""
