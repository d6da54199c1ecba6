"""What draws a snapshot: network canvas, cost plot, gradient heatmaps, data view, neuron maps,
sample gallery, projection. Imports gui.base (and gui.trainer_link) only.
"""
