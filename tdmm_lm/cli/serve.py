"""``tdmm-lm serve --model DIR [--host 127.0.0.1] [--port 7860]``: the web demo (Gradio)."""

from __future__ import annotations


def register(sub) -> None:
    from tdmm_lm.cli.chat import add_model_args

    p = sub.add_parser("serve", help="web demo: upload a take, chat about it, generate motion")
    add_model_args(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.set_defaults(handler=run)


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_address(host: str, port: int) -> None:
    """Refuse a port outside 1..65535 before the model loads; warn (one line on stderr) when
    ``host`` is not loopback, since the demo then answers anyone who can reach this machine."""
    import sys

    from tdmm_lm.errors import TdmmError
    if not 1 <= port <= 65535:
        raise TdmmError(f"--port must be in 1..65535, got {port}")
    if not host.strip():
        raise TdmmError("--host is empty; use 127.0.0.1 (this machine only)")
    if host not in LOOPBACK and not host.startswith("127."):
        print(f"tdmm-lm: warning: --host {host} exposes the demo (and the model) to every "
              "machine that can reach this one on port "
              f"{port}; it has no login. Use --host 127.0.0.1 to keep it local.",
              file=sys.stderr, flush=True)


def run(args) -> int:
    from tdmm_lm.app.session import load_model
    from tdmm_lm.app.web import serve
    from tdmm_lm.device import check_device

    check_address(args.host, args.port)
    model = load_model(args.model, device=check_device(args.device))
    print(f"serving on http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    serve(model, host=args.host, port=args.port, seed=args.seed, rig=args.rig,
          flame_model=args.flame_model, source=args.model)
    return 0
