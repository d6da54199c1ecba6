"""Training: Trainer, TrainingConfig, the step and epoch histories and their thinning,
snapshots, evaluation and gradient norms. Imports engine.core and engine.data.
"""
