"""The ``sovscan`` command line: assembles the commands and is the one border mapping errors to exit codes.

Exit codes (DESIGN.md): 0 done; 1 the ``--fail-on`` severity was reached (and only that); 2 bad
usage or unusable input, one line naming the file and, where known, the position; 3 live
collection incomplete under ``--strict``; 70 internal error, one line asking for a report and
naming the file the traceback was written to; 130 interrupted. Commands live in
:mod:`scanner.commands` and raise :class:`scanner.errors.SovscanError` subclasses; nothing below
this module prints an error or chooses an exit code.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import traceback
from typing import Annotated, Any

import typer
from typer._click import Context  # typer's own (vendored) click, the type TyperGroup.invoke takes
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from scanner import __version__
from scanner.commands.explain import explain
from scanner.commands.graph import graph
from scanner.commands.history import history_app
from scanner.commands.kb import kb_app
from scanner.commands.live_options import PanelledCommand
from scanner.commands.plan import plan
from scanner.commands.report import report
from scanner.commands.run import run
from scanner.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, SovscanError
from scanner.report.escape import one_line


def _one_line(text: str) -> str:
    return one_line(text)  # whitespace collapsed, control characters made visible


def write_crash_report(exc: BaseException) -> str:
    """Write the traceback of an unexpected error to a private file and return its path."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    fd, path = tempfile.mkstemp(prefix=f"sovscan-crash-{stamp}-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:  # mkstemp creates it 0600: it may quote input values
        fh.write(f"sovscan {__version__}, Python {sys.version.split()[0]}\n")
        fh.write(f"command: {' '.join(sys.argv)}\n\n")
        fh.write("".join(traceback.format_exception(exc)))
    return path


class SovscanGroup(TyperGroup):
    """The command group whose ``invoke`` is the error border for every command below it."""

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except SovscanError as exc:
            typer.echo(f"sovscan: error: {_one_line(str(exc))}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (Exit, Abort, TyperException):
            raise
        except KeyboardInterrupt:
            typer.echo("sovscan: interrupted", err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # The reader went away (``sovscan run … | head``): nothing more to say to it.
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the closed pipe until exit
            raise typer.Exit(0) from None
        except Exception as exc:
            path = write_crash_report(exc)
            typer.echo(f"sovscan: internal error ({type(exc).__name__}); please report it with the traceback "
                       f"written to {path}", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None


app = typer.Typer(cls=SovscanGroup, add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Whose laws can reach your cloud data, and how hard would it be to leave?")
app.command(cls=PanelledCommand)(run)
app.command()(explain)
app.command("plan", cls=PanelledCommand)(plan)
app.command("report")(report)
app.command("graph")(graph)
app.add_typer(kb_app, name="kb")
app.add_typer(history_app, name="history")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"sovscan {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Show the version.")] = False,
) -> None:
    """sovscan: whose laws can reach your cloud data, and how hard would it be to leave?"""


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
