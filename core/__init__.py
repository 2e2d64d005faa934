"""nnbench core: presets, models, data, training and the run store. Never imports textual."""
