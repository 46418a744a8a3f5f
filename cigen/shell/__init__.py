"""Stage 2, script text to commands.

Owns the reading of ``before_script``/``script``/``after_script`` items as the
job's shell runs them, along the bash grammar (tree-sitter-bash): words and
quotes (:mod:`.words`), the commands each shell reaches and the conditions
they run under (:mod:`.grammar`), the file position of every word through
block scalars and continuations (:mod:`.locator`), and variable expansion
(:mod:`.expansion`). :mod:`.parser` is the entry point. Takes in: script
strings with their spans. Hands on: ``Command``s of ``Word``s. Knows nothing
of GitLab's keywords.
"""
