"""Mean-field theory of signal propagation (numpy only).

Length and correlation maps, the order-to-chaos critical line, depth scales and
dynamical-isometry predictions (Xiao et al., 2018). Filled in by issue 3.
"""
