"""Mean-field theory of signal propagation (numpy only).

Length and correlation maps with their fixed points, the order-to-chaos
critical line, depth scales, dynamical-isometry predictions for the
input-output Jacobian, and the depth-versus-`sigma_w2` phase diagram (Xiao et
al., 2018; Schoenholz et al., 2017; Pennington et al., 2017); the path view of
normalized residual networks (De & Smith, 2020).
"""

from keras_deepinit.theory.activations import ACTIVATIONS
from keras_deepinit.theory.activations import Activation
from keras_deepinit.theory.activations import get_activation
from keras_deepinit.theory.critical import critical_point
from keras_deepinit.theory.critical import critical_sigma_b2
from keras_deepinit.theory.critical import critical_sigma_w2
from keras_deepinit.theory.isometry import SpectrumMoments
from keras_deepinit.theory.isometry import jacobian_spectrum_moments
from keras_deepinit.theory.mean_field import MeanField
from keras_deepinit.theory.mean_field import analyze
from keras_deepinit.theory.mean_field import chi_1
from keras_deepinit.theory.mean_field import chi_c
from keras_deepinit.theory.mean_field import correlation_map
from keras_deepinit.theory.mean_field import correlation_trajectory
from keras_deepinit.theory.mean_field import depth_scale
from keras_deepinit.theory.mean_field import depth_scales
from keras_deepinit.theory.mean_field import fixed_point_c
from keras_deepinit.theory.mean_field import fixed_point_q
from keras_deepinit.theory.mean_field import length_map
from keras_deepinit.theory.mean_field import length_map_slope
from keras_deepinit.theory.phase_diagram import PhaseDiagram
from keras_deepinit.theory.phase_diagram import phase_diagram
from keras_deepinit.theory.phase_diagram import plot_phase_diagram
from keras_deepinit.theory.quadrature import bivariate_expectation
from keras_deepinit.theory.quadrature import gaussian_expectation
from keras_deepinit.theory.residual_paths import path_variance_shares
from keras_deepinit.theory.residual_paths import plot_path_variance_shares
from keras_deepinit.theory.residual_paths import residual_stream_variance
