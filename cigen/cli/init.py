"""`cigen init`: options parsed into a :class:`cigen.init.run.InitRequest`.

The options not given come from configuration or prompts in :mod:`cigen.init.run`.
"""

import sys
from typing import Annotated

import typer

from cigen.cli.app import EXIT_USAGE, app, fail


def complete_strategy(incomplete: str) -> list[str]:
    """Strategy names for shell completion (the model loads only when completing)."""
    from cigen.init.spec import Strategy

    return [strategy.value for strategy in Strategy if strategy.value.startswith(incomplete)]


def complete_executor(incomplete: str) -> list[str]:
    """Executor names for shell completion."""
    from cigen.init.spec import Executor

    return [executor.value for executor in Executor if executor.value.startswith(incomplete)]


@app.command()
def init(
    strategy: Annotated[str | None, typer.Option(
        "--strategy", metavar="[shell|dind|socket|depot|buildkit|buildah]",
        help="How the image is built (default: buildkit).", show_default=False,
        autocompletion=complete_strategy)] = None,
    executor: Annotated[str | None, typer.Option(
        "--executor", metavar="[docker|kubernetes]",
        help="The runner executor the jobs run on (default: docker).", show_default=False,
        autocompletion=complete_executor)] = None,
    image: Annotated[str | None, typer.Option(
        "--image", help="Repository to push to, without a tag (default: $CI_REGISTRY_IMAGE).",
        show_default=False)] = None,
    dockerfile: Annotated[str | None, typer.Option(
        "--dockerfile", help="Dockerfile path (default: Dockerfile).", show_default=False)
    ] = None,
    context: Annotated[str | None, typer.Option(
        "--context", help="Build context directory (default: .).", show_default=False)] = None,
    platform: Annotated[list[str] | None, typer.Option(
        "--platform", help="Target platform as os/arch; repeat for several.",
        show_default=False)] = None,
    cache: Annotated[bool | None, typer.Option(
        "--cache/--no-cache", help="Keep a layer cache between pipelines (default: on).",
        show_default=False)] = None,
    test_command: Annotated[str | None, typer.Option(
        "--test-command", help="Add a test job that runs this command in the built image.",
        show_default=False)] = None,
    release_latest: Annotated[bool | None, typer.Option(
        "--release-latest/--no-release-latest",
        help="Move :latest to the tested image on the default branch (default: on).",
        show_default=False)] = None,
    build_arg: Annotated[list[str] | None, typer.Option(
        "--build-arg", metavar="NAME[=VALUE]",
        help="Pass a build argument: its value as written, or without one the value of the "
             "CI/CD variable NAME; repeat for several.", show_default=False)] = None,
    target: Annotated[str | None, typer.Option(
        "--target", metavar="STAGE", help="Build this Dockerfile stage (default: the last one).",
        show_default=False)] = None,
    labels: Annotated[bool | None, typer.Option(
        "--labels/--no-labels",
        help="Label the image with its source, revision and creation time (default: on).",
        show_default=False)] = None,
    pin: Annotated[list[str] | None, typer.Option(
        "--pin", metavar="TOOL=VERSION",
        help="Pin a tool to another version than cigen's default; repeat for several "
             "(docker, buildkit, buildah, skopeo, depot, alpine, syft).", show_default=False)
    ] = None,
    dependency_proxy: Annotated[bool | None, typer.Option(
        "--dependency-proxy/--no-dependency-proxy",
        help="Pull Docker Hub images through the group's dependency proxy: the jobs' "
             "images, and base images the Dockerfile names ${DEPENDENCY_PROXY}/...",
        show_default=False)] = None,
    scan: Annotated[bool | None, typer.Option(
        "--scan/--no-scan",
        help="Scan the pushed digest with GitLab's Container-Scanning template.",
        show_default=False)] = None,
    sign: Annotated[bool | None, typer.Option(
        "--sign/--no-sign",
        help="Sign the image's digest with cosign, keyless (GitLab.com's OIDC tokens).",
        show_default=False)] = None,
    sbom: Annotated[bool | None, typer.Option(
        "--sbom/--no-sbom",
        help="Produce an SBOM: an attestation (dind, buildkit, depot) or a job artifact "
             "(buildah).", show_default=False)] = None,
    provenance: Annotated[bool | None, typer.Option(
        "--provenance/--no-provenance",
        help="Attach a provenance attestation (dind, buildkit, depot).", show_default=False)
    ] = None,
    semver_aliases: Annotated[bool | None, typer.Option(
        "--semver-aliases/--no-semver-aliases",
        help="A tag pipeline for vX.Y.Z or X.Y.Z also publishes :X.Y and :X (not for "
             "pre-releases, nor past a higher release of the line).", show_default=False)
    ] = None,
    ca_file: Annotated[str | None, typer.Option(
        "--ca-file", metavar="FILE",
        help="CA bundle the registry's certificate chains to (self-managed): a CI/CD "
             "variable of type File such as '$CI_SERVER_TLS_CA_FILE', or an absolute path "
             "on the runner.", show_default=False)] = None,
    output: Annotated[str, typer.Option(
        "--output", "-o", help="Where to write the pipeline; '-' prints it.")
    ] = ".gitlab-ci.yml",
    runner_config: Annotated[str | None, typer.Option(
        "--runner-config", metavar="PATH",
        help="Also write the runner settings the pipeline needs: config.toml, or for a "
             ".yaml path gitlab-runner Helm chart values (--executor kubernetes).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Write a .gitlab-ci.yml that builds, tests and pushes the repository's image.

    Options not given come from the tool.cigen.init table of pyproject.toml or the
    init table of cigen.toml; on a terminal with neither, cigen asks.
    """
    from pathlib import Path

    from cigen.init.run import InitError, InitRequest, InternalError, run_init

    given = {"strategy": strategy, "executor": executor, "image": image, "dockerfile": dockerfile,
             "context": context, "platforms": platform, "cache": cache,
             "test_command": test_command, "release_latest": release_latest, "labels": labels,
             "versions": pin, "build_args": build_arg, "target": target,
             "dependency_proxy": dependency_proxy, "scan": scan,
             "sign": sign, "sbom": sbom, "provenance": provenance,
             "semver_aliases": semver_aliases, "ca_file": ca_file}
    request = InitRequest(
        options={name: value for name, value in given.items() if value is not None},
        output=output, runner_config=runner_config, force=force,
        may_ask=sys.stdin.isatty() and sys.stdout.isatty())
    try:
        directory = Path.cwd()
    except OSError as error:
        raise fail(f"cannot read the current directory: {error.strerror}") from None
    try:
        notes = run_init(request, directory)
    except InitError as error:
        raise fail(str(error)) from None
    except InternalError as error:
        typer.echo(f"cigen: internal error: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    for note in notes:
        typer.echo(f"cigen: {note}", err=True)
