"""The local web playground: TensorFlow Playground's page, trained server-side by neurona's engine.

``neurona playground`` runs :func:`serve`. The parts: :mod:`~neurona.playground.protocol` (settings and
messages, validated by pydantic), :mod:`~neurona.playground.network` (the network and its views),
:mod:`~neurona.playground.session` (one page's training state), :mod:`~neurona.playground.export`
(YAML config, neurona and PyTorch scripts) and :mod:`~neurona.playground.server` (FastAPI + uvicorn).
The page itself is plain HTML/CSS/JavaScript in ``static/``. The server needs the ``playground`` extra
(``pip install 'neurona[playground]'``); everything else runs without it.
"""

from neurona.playground.protocol import Settings
from neurona.playground.session import Session


def create_app(**limits):
    """The FastAPI application (see :func:`neurona.playground.server.create_app`)."""
    from neurona.playground.server import create_app as _create_app

    return _create_app(**limits)


def serve(host: str = "127.0.0.1", port: int = 8765, open_browser: bool = True, **limits) -> None:
    """Run the playground server until interrupted (see :func:`neurona.playground.server.serve`)."""
    from neurona.playground.server import serve as _serve

    _serve(host=host, port=port, open_browser=open_browser, **limits)


__all__ = ["Session", "Settings", "create_app", "serve"]
