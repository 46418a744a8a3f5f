"""The tool versions a generated pipeline pins, and the image references made from them.

The defaults of job images come from :mod:`cigen.lint.versions`, which the linter
recommends as well, so that `cigen init` and `cigen lint` never disagree about them. A project
overrides any of them (``--pin docker=29.2``, or the ``versions`` table of its
settings); every image of one tool follows its version, so ``docker:<V>-cli`` and
``docker:<V>-dind`` cannot drift apart, nor the rootless BuildKit image and the
buildx builder's BuildKit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from cigen.lint import versions


def _tag(image: str, suffix: str = "") -> str:
    return image.rpartition(":")[2].removesuffix(suffix)


DEFAULT_VERSIONS: dict[str, str] = {
    "docker": versions.DOCKER,
    "buildkit": _tag(versions.BUILDKIT_ROOTLESS_IMAGE, "-rootless"),
    "buildah": _tag(versions.BUILDAH_IMAGE),
    "skopeo": _tag(versions.SKOPEO_IMAGE),
    "depot": versions.DEPOT_CLI,
    "alpine": _tag(versions.ALPINE_IMAGE),
    # Buildah's SBOM scanner: an argument of `buildah build`, never a job image, so the
    # linter has nothing to suggest for it.
    "syft": "v1.57.1",
}
"""Tool name -> the version cigen writes unless told otherwise."""

# What a registry accepts as a tag (the distribution spec's grammar); a version is
# written into image references, so it must be one.
VERSION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


# The images a job runs that come from Docker Hub, which the dependency proxy serves.
# The dind service stays as it is: the runner's allowed_privileged_services must
# name it exactly as the pipeline does, and a runner setting cannot hold the
# proxy's CI/CD variable.
FROM_DOCKER_HUB = ("DOCKER_CLI_IMAGE", "BUILDKIT_ROOTLESS_IMAGE", "ALPINE_IMAGE")
PROXY_PREFIX = "${CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX}/"


def through_dependency_proxy(images: Mapping[str, str]) -> dict[str, str]:
    """``images`` with the Docker Hub images of jobs pulled through the group's
    dependency proxy (the runner logs in to it for job images)."""
    return {name: PROXY_PREFIX + image if name in FROM_DOCKER_HUB else image
            for name, image in images.items()}


def pinned(overrides: Mapping[str, str]) -> dict[str, str]:
    """The names templates use (``DOCKER_CLI_IMAGE``, ``DEPOT_CLI``, ...) with
    ``overrides`` (tool -> version) applied."""
    chosen = {**DEFAULT_VERSIONS, **overrides}
    return {
        "DOCKER": chosen["docker"],
        "DOCKER_CLI_IMAGE": f"docker:{chosen['docker']}-cli",
        "DOCKER_DIND_IMAGE": f"docker:{chosen['docker']}-dind",
        "BUILDKIT_ROOTLESS_IMAGE": f"moby/buildkit:{chosen['buildkit']}-rootless",
        # The image buildx's docker-container driver runs: pinned like every other one,
        # rather than the moving buildx-stable-1 it pulls by default.
        "BUILDKIT_IMAGE": f"moby/buildkit:{chosen['buildkit']}",
        "BUILDAH_IMAGE": f"quay.io/buildah/stable:{chosen['buildah']}",
        "SKOPEO_IMAGE": f"quay.io/skopeo/stable:{chosen['skopeo']}",
        "DEPOT_CLI": chosen["depot"],
        "DEPOT_CLI_IMAGE": f"ghcr.io/depot/cli:{chosen['depot']}",
        "ALPINE_IMAGE": f"alpine:{chosen['alpine']}",
        "SYFT_IMAGE": f"ghcr.io/anchore/syft:{chosen['syft']}",
    }
