"""Stage 3, what each job does.

Owns the job model the rules read: its image and services (:mod:`.images`),
its commands and the variables its shell sees (:mod:`.facts`), the Docker
daemon each command reaches (:mod:`.daemon`), the refs (branches, tags,
merge requests) it and each command run on (:mod:`.refs`), the images it
builds, tags and pushes (:mod:`.image_outputs`), where the pipeline's build
cache is written and read (:mod:`.cache_flow`), what a script word holds for
a given ref name (:mod:`.values`), what compose and Bake files in the
repository say (:mod:`.compose`, :mod:`.bake`), and container tools'
command-line options (:mod:`.arguments`).
Takes in: a resolved ``Pipeline`` and parsed commands. Hands on: ``JobFacts``.
"""
