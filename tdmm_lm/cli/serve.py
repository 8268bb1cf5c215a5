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


def run(args) -> int:
    from tdmm_lm.app.session import load_model
    from tdmm_lm.app.web import serve

    model = load_model(args.model, device=args.device)
    print(f"serving on http://{args.host}:{args.port}/ (Ctrl-C stops)", flush=True)
    serve(model, host=args.host, port=args.port, seed=args.seed, rig=args.rig,
          flame_model=args.flame_model, source=args.model)
    return 0
