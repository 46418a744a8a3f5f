"""Stage 2, script text to commands.

Owns the reading of ``before_script``/``script``/``after_script`` lines as a
shell reads them: words, quotes, substitutions, command separators, and the
file position of every word through block scalars and continuations
(:mod:`.parser`). Takes in: script strings with their spans. Hands on:
``Command``s of ``Word``s. Knows nothing of GitLab's keywords.
"""
