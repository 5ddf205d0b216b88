import warnings

# PyTorch computes log(0), 0/0 and overflow silently (IEEE results); NumPy warns. A filter on
# these modules silences the forward bodies at no per-call cost, where np.errstate would cost
# microseconds on every op.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"lamina\._ops\.")
