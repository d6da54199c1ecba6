"""Docks and features that install themselves into the window, typed against WindowApi
(window_api.py), never against MainWindow. Imports gui.views and gui.base.
"""
