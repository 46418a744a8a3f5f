"""Pinned versions of every image and tool that `cigen init` writes into a pipeline
(and that `unpinned-docker-image` suggests).

This is the only place that names them: templates receive the references from
here, so bumping a version is a one-line change whose effect the golden files
under ``tests/golden/`` show.
"""

from __future__ import annotations

# docker:<V>-cli and docker:<V>-dind must stay on the same version: the daemon
# rejects client API versions that are too old for it.
DOCKER = "29.1"
DOCKER_CLI_IMAGE = f"docker:{DOCKER}-cli"
DOCKER_DIND_IMAGE = f"docker:{DOCKER}-dind"

BUILDKIT_ROOTLESS_IMAGE = "moby/buildkit:v0.26.2-rootless"
BUILDAH_IMAGE = "quay.io/buildah/stable:v1.43.0"
# Copies tags between registries without a daemon: promotes the tested image to :latest.
SKOPEO_IMAGE = "quay.io/skopeo/stable:v1.22.2"
# Small image with a shell for the Depot CLI and as the runner's default image.
ALPINE_IMAGE = "alpine:3.22"
# The Depot CLI release that the install script fetches.
DEPOT_CLI = "2.102.4"
