"""The ``tdmm-lm`` command line: parse, call a library function, print.

Each command group lives in its own module with ``register(subparsers)``; a command's handler
takes the parsed ``argparse.Namespace`` and returns an exit status. Errors a user can cause
(``TdmmError``) print one line to stderr and exit 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from tdmm_lm.errors import TdmmError

# Command-group modules, in the order ``--help`` lists them.
_GROUPS = ("motion", "render", "data", "vq", "publish", "baseline", "chat", "serve", "llm", "describe", "generate", "eval", "quickstart")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tdmm-lm", description="Talk to facial motion: tokenize, describe, generate, evaluate.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for group in _GROUPS:
        importlib.import_module(f"tdmm_lm.cli.{group}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 on bad flags
    try:
        return int(args.handler(args) or 0)
    except TdmmError as e:
        if args.debug:
            raise
        print(f"tdmm-lm: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tdmm-lm: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
