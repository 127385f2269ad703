"""The global RNG state as JSON, for a bit-identical resume from a checkpoint.

``rng_state()`` goes into ``save(..., rng_state=...)`` (or a checkpoint's ``extra``);
``set_rng_state(ckpt.rng_state)`` puts the generator back where it was.
"""

from __future__ import annotations

from typing import Any

from neurona.random import default_generator


def rng_state() -> dict[str, Any]:
    """The state of neurona's global generator, as a JSON-serialisable dict (for a bit-identical resume).

    Examples
    --------
    >>> state = rng_state()
    >>> a = nr.randn(3); set_rng_state(state); b = nr.randn(3)  # doctest: +SKIP
    >>> bool((a.data == b.data).all())                          # doctest: +SKIP
    True
    """
    return default_generator().bit_generator.state  # a fresh dict of str, int


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore neurona's global generator to a state returned by :func:`rng_state`.

    Examples
    --------
    >>> set_rng_state(ckpt.rng_state)  # doctest: +SKIP
    """
    bit_generator = default_generator().bit_generator
    expected = bit_generator.state["bit_generator"]
    if not isinstance(state, dict) or state.get("bit_generator") != expected:
        got = state.get("bit_generator") if isinstance(state, dict) else type(state).__name__
        raise ValueError(
            f"set_rng_state: expected a {expected} state from neurona.io.rng_state(), got {got!r}"
        )
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"set_rng_state: malformed {expected} state: {e}") from e
