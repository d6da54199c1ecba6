"""Training: Trainer, TrainingConfig, histories and their thinning, snapshots, evaluation and
gradient norms. Imports engine.core and engine.data.
"""
