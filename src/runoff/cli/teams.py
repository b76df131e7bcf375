"""Teams and their members: list, create, destroy teams; list, add (or change the role
of), and remove members. ``apps:create --team`` creates an app owned by a team."""

from __future__ import annotations

from runoff.cli import render
from runoff.cli.client import path

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    from runoff.cli.context import Context
    from runoff.cli.options import CommandSet


def _team(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-t", "--team", required=True, metavar="TEAM", help="the team")


def _member(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("email", metavar="EMAIL", help="an existing runoff user")
    _team(parser)


def _member_role(parser: argparse.ArgumentParser) -> None:
    _member(parser)
    parser.add_argument("--role", choices=("admin", "member"), default="member")


def _name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="lowercase letters, digits and dashes")


def register(commands: CommandSet) -> None:
    commands.add(
        "teams", list_teams, "list the teams you belong to", json=True, examples=["runoff teams"]
    )
    commands.add(
        "teams:create",
        create_team,
        "create a team (you become its admin)",
        arguments=_name,
        json=True,
        examples=["runoff teams:create ops"],
    )
    commands.add(
        "teams:destroy",
        destroy_team,
        "delete a team that owns no apps",
        arguments=_name,
        examples=["runoff teams:destroy ops"],
    )
    commands.add(
        "members",
        list_members,
        "list a team's members and their roles",
        arguments=_team,
        json=True,
        examples=["runoff members -t ops"],
    )
    commands.add(
        "members:add",
        set_member,
        "add a member to a team, or change their role",
        arguments=_member_role,
        description=(
            "Add a member, or change a member's role. Members may act on the team's apps;\n"
            "admins also manage the team and receive its apps' alert e-mails."
        ),
        examples=["runoff members:add bob@example.com --role admin -t ops"],
    )
    commands.add(
        "members:remove",
        remove_member,
        "remove a member from a team",
        arguments=_member,
        examples=["runoff members:remove bob@example.com -t ops"],
    )


def list_teams(args: argparse.Namespace, ctx: Context) -> int:
    found = ctx.client().get("teams")
    if args.json:
        ctx.json(found)
    elif not found:
        ctx.out("You are not a member of any team.")
    else:
        ctx.out(*render.table([["TEAM", "ROLE"]] + [[t["name"], t["role"]] for t in found]))
    return 0


def create_team(args: argparse.Namespace, ctx: Context) -> int:
    team = ctx.client().post("teams", payload={"name": args.name})
    if args.json:
        ctx.json(team)
    else:
        ctx.out(f"Creating team {team['name']}... done (you are its admin)")
    return 0


def destroy_team(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client().delete("teams", args.name)
    ctx.out(f"Destroying team {args.name}... done")
    return 0


def list_members(args: argparse.Namespace, ctx: Context) -> int:
    found = ctx.client().get("teams", args.team, "members")
    if args.json:
        ctx.json(found)
    else:
        ctx.out(*render.table([[m["email"], m["role"]] for m in found]))
    return 0


def set_member(args: argparse.Namespace, ctx: Context) -> int:
    payload = {"email": args.email, "role": args.role}
    ctx.client().request("PUT", path("teams", args.team, "members"), payload=payload)
    ctx.out(f"{args.email} is now {args.role} of {args.team}")
    return 0


def remove_member(args: argparse.Namespace, ctx: Context) -> int:
    ctx.client().delete("teams", args.team, "members", args.email)
    ctx.out(f"Removed {args.email} from {args.team}")
    return 0
