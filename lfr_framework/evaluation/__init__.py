"""How accurate a deployment is: 1:N identification metrics on labelled photos, score
calibration of recognisers, synthetic street scenes with ground truth, and pass-level
scoring of a pipeline run over them."""
