"""Reading a GitLab instance: its REST API, credentials, and an on-disk cache.

Used only when a run asks for it (``--remote``): nothing in this package is
imported otherwise, so an offline run never touches the network. It knows
HTTP, tokens, the cache, how GitLab resolves component versions and how the
files it fetches are named (:mod:`.client`, :mod:`.cache`, :mod:`.versions`,
:mod:`.fetcher`, :mod:`.names`), and nothing about pipelines: what it fetches is
text for :mod:`cigen.gitlab.includes` to read.
"""
