"""The runtime of training runs: typed configs, run plans, backups, history.

- `TrainingConfig`: how to train (data, length, optimizer, schedule, run
  folder); `RunPlan`: a run's data, epochs and total steps.
- `run_callbacks`, `restore_run`, `fit_resumable`: a run folder that
  survives kills (`backup`, `history`, `step_limit` hold the parts).
- `train_classifier` and its parts (`classifier`): what the classifier apps
  share, from configs to an exported SavedModel; `train_app` calls it with
  an app's declaration.
- `App`: the declaration of an application, for the CLI and the tuner.

Submodules load on first use: `App` and `TrainingConfig` do not import
Keras or TensorFlow, so listing the apps stays fast.
"""

from keras_deepinit.lazy import lazy_getattr

_EXPORTS = {
    "App": "app",
    "check_presets": "app",
    "TrainingConfig": "config",
    "OPTIMIZERS": "config",
    "RunPlan": "plan",
    "plan_steps": "plan",
    "fit_steps_per_epoch": "plan",
    "make_optimizer": "optimizer",
    "learning_rate_schedule": "optimizer",
    "training_optimizer": "optimizer",
    "optimizer_steps": "step_limit",
    "StepLimit": "step_limit",
    "AtomicBackup": "backup",
    "read_backup": "backup",
    "restore": "backup",
    "HistoryFile": "history",
    "load_history": "history",
    "plot_history": "history",
    "run_callbacks": "run_folder",
    "restore_run": "run_folder",
    "fit_resumable": "run_folder",
    "train_app": "classifier",
    "train_classifier": "classifier",
    "compile_classifier": "classifier",
    "fit_run": "classifier",
    "fit_and_export": "classifier",
    "load_data": "classifier",
    "make_strategy": "classifier",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
