"""Applications: one model builder and training entry point per paper.

Installed as `keras_deepinit.apps` (see setup.py); never import it as `apps`.
"""
