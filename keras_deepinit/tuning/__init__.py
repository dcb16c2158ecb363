"""Hyperparameter search with KerasTuner, for any app that declares a
hypermodel: the `AppHyperModel` base, the search runner (`run_search`), its
summary table and plots. It takes an app's declaration
(`keras_deepinit.training.App`) and a `SearchConfig`, and never imports the
apps themselves; `keras-deepinit tune APP` is its command.

Submodules load on first use: `SearchConfig` imports neither KerasTuner nor
TensorFlow.
"""

from keras_deepinit.lazy import lazy_getattr

_EXPORTS = {
    "SearchConfig": "config",
    "TUNER_NAMES": "config",
    "AppHyperModel": "hypermodel",
    "check_range": "hypermodel",
    "plot_sigma_w2": "plot",
    "format_table": "summary",
    "summarize": "summary",
    "write_summary": "summary",
    "run_search": "search",
    "TUNERS": "search",
}

__all__ = sorted(_EXPORTS)
__getattr__ = lazy_getattr(__name__, _EXPORTS)
