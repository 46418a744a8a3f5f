"""Stage 4, the language server: cigen in an editor.

Owns `cigen server`, the Language Server Protocol over standard input and
output: what a buffer's findings are as diagnostics, fixes as code actions,
rule documentation on hover, and where `extends:`, `!reference` and `needs:`
targets are defined (:mod:`.analysis`, free of any protocol library), and the
protocol itself (:mod:`.protocol`, on pygls). Takes in: the lint run of
:mod:`cigen.lint` and the pipeline model of :mod:`cigen.gitlab`. Hands on:
messages to the editor.
"""
