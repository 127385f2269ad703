"""Training callbacks, one per file, as in Keras."""

from neurona.train.callbacks.base import Callback, CallbackList
from neurona.train.callbacks.csv_logger import CSVLogger
from neurona.train.callbacks.diagnostics import Diagnostics
from neurona.train.callbacks.early_stopping import EarlyStopping
from neurona.train.callbacks.lambda_callback import LambdaCallback
from neurona.train.callbacks.learning_rate_scheduler import LearningRateScheduler
from neurona.train.callbacks.model_checkpoint import ModelCheckpoint
from neurona.train.callbacks.optuna_pruning import OptunaPruning
from neurona.train.callbacks.progress import ProgressBar
from neurona.train.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from neurona.train.callbacks.tensorboard import TensorBoard
from neurona.train.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["CSVLogger", "Callback", "CallbackList", "Diagnostics", "EarlyStopping", "LambdaCallback", "LearningRateScheduler",
           "ModelCheckpoint", "OptunaPruning", "ProgressBar", "ReduceLROnPlateau", "TensorBoard",
           "TerminateOnNaN"]
