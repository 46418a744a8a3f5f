"""Stage 3, what each job does.

Owns the job model the rules read: its image and services (:mod:`.images`),
its commands and the variables its shell sees, the Docker daemon it talks to
(:mod:`.facts`), the images it builds, tags and pushes (:mod:`.image_outputs`),
and container tools' command-line options (:mod:`.arguments`).
Takes in: a resolved ``Pipeline`` and parsed commands. Hands on: ``JobFacts``.
"""
