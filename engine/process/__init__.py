"""The trainer process: its protocol (plain-data messages), wire format, TrainerService and
the child's main function. In gui, only gui/trainer_link.py imports it.
"""
