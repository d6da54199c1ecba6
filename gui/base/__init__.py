"""What every part of the window shares: colours, plot style, dialogs, the status line and
banner, small widgets. Imports no other gui package.
"""
