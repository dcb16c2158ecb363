"""Kept for code written against it: `keras_deepinit.training` holds these now.

Resuming changed: `run_callbacks` no longer restores a backup inside `fit`
(that needed private Keras attributes); call `restore_run` first and pass
its result as `fit(initial_epoch=...)`, or use `fit_resumable`.
"""

from keras_deepinit.training.backup import METADATA_ATTR  # noqa: F401
from keras_deepinit.training.backup import PARTIAL_FILE  # noqa: F401
from keras_deepinit.training.backup import WEIGHTS_FILE  # noqa: F401
from keras_deepinit.training.backup import AtomicBackup  # noqa: F401
from keras_deepinit.training.backup import read_backup  # noqa: F401
from keras_deepinit.training.backup import restore  # noqa: F401
from keras_deepinit.training.config import OPTIMIZERS  # noqa: F401
from keras_deepinit.training.history import HistoryFile  # noqa: F401
from keras_deepinit.training.history import load_history  # noqa: F401
from keras_deepinit.training.history import plot_history  # noqa: F401
from keras_deepinit.training.optimizer import make_optimizer  # noqa: F401
from keras_deepinit.training.plan import fit_steps_per_epoch  # noqa: F401
from keras_deepinit.training.plan import plan_steps  # noqa: F401
from keras_deepinit.training.run_folder import BACKUP_DIR  # noqa: F401
from keras_deepinit.training.run_folder import HISTORY_FILE  # noqa: F401
from keras_deepinit.training.run_folder import LOGS_DIR  # noqa: F401
from keras_deepinit.training.run_folder import PLOT_FILE  # noqa: F401
from keras_deepinit.training.run_folder import fit_resumable  # noqa: F401
from keras_deepinit.training.run_folder import restore_run  # noqa: F401
from keras_deepinit.training.run_folder import run_callbacks  # noqa: F401
from keras_deepinit.training.step_limit import StepLimit  # noqa: F401
from keras_deepinit.training.step_limit import optimizer_steps  # noqa: F401
