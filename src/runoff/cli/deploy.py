"""Deploying a directory: pack it into a slug, upload it, release it."""

from __future__ import annotations

from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet

UPLOAD_TIMEOUT_SECONDS = 600.0
RELEASE_POLL_SECONDS = 1.0


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default=".", metavar="DIR", help="default: .")
    parser.add_argument("-m", "--message", metavar="DESCRIPTION", help="the release description")


def register(commands: CommandSet) -> None:
    commands.add(
        "deploy",
        deploy_directory,
        "deploy a directory as a new release",
        arguments=_arguments,
        description=(
            "Pack DIR into a slug (leaving out .git and what DIR/.slugignore matches),\n"
            "upload it and create a release running it. The Procfile in DIR declares\n"
            "the process types. With a `release` type, its command runs first (the release\n"
            "phase) and the release goes live only if it exits 0; deploy waits for it and\n"
            "exits 1 if it failed."
        ),
        app=True,
        examples=["runoff deploy -a myapp", "runoff deploy -a myapp ./build -m 'Nightly build'"],
    )


def deploy_directory(args: argparse.Namespace, ctx: Context) -> int:
    import tempfile
    from pathlib import Path

    from runoff.apps.slugpack import pack
    from runoff.cli.render import size_text

    app = ctx.app()
    client = ctx.client()
    with tempfile.TemporaryFile() as archive:
        stats = pack(Path(ctx.system.cwd, args.directory), archive)
        size = archive.tell()
        archive.seek(0)
        slug = client.upload(
            "apps",
            app,
            "slugs",
            data=archive,
            size=size,
            content_type="application/gzip",
            timeout=UPLOAD_TIMEOUT_SECONDS,
        )
    if not isinstance(slug, dict) or not slug.get("id"):
        raise RunoffError("the server's answer to the slug upload has no id")
    payload = {"slug": slug["id"]}
    if args.message:
        payload["description"] = args.message
    release = client.post("apps", app, "releases", payload=payload)
    status = release.get("status")
    note = f" ({status})" if status not in (None, "succeeded", "pending") else ""
    types = slug.get("process_types") or {}
    ctx.out(
        f"Deploying {app}... done, v{release.get('version')}{note}",
        f"Packed {stats.files} files ({size_text(size)} compressed)",
        f"Procfile declares types -> {', '.join(types)}"
        if types
        else "Procfile declares no process types",
    )
    if status == "pending":
        return wait_for_release_phase(ctx, app, release)
    return 0


def wait_for_release_phase(ctx: Context, app: str, release: dict[str, object]) -> int:
    """Follow a pending release until its release command settles it; 1 if it failed."""
    version = release.get("version")
    ctx.system.stdout.write("Running release command...")
    ctx.system.stdout.flush()
    client = ctx.client()
    polls = 0
    while release.get("status") == "pending":
        ctx.system.sleep(RELEASE_POLL_SECONDS if polls else 0.2)
        polls += 1
        release = client.get("apps", app, "releases", str(version))
    if release.get("status") == "succeeded":
        ctx.out(" done", f"Released v{version}: it is now current")
        return 0
    ctx.out(" failed")
    raise RunoffError(
        f"the release command failed, so v{version} was not released and the previous "
        f"release stays current; see `runoff logs -a {app} -p release`"
    )
