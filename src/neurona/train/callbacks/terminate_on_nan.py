"""TerminateOnNaN: stop as soon as the loss is NaN or infinite, and say what usually causes it."""

from __future__ import annotations

import math

from neurona.train.callbacks.base import Callback

NAN_ADVICE = (
    "The usual causes: a learning rate too high (the weights blow up: try 10x smaller), the log of 0 or a "
    "division by 0 (use F.cross_entropy on logits instead of log(softmax)), unscaled inputs (standardise "
    "the features), or NaN already in the data."
)


class TerminateOnNaN(Callback):
    """Stop training when a batch's loss is not finite."""

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.trainer.stop_training = True
            self.trainer.log(f"TerminateOnNaN: batch {batch} gave loss {loss}; stopping. {NAN_ADVICE}")
