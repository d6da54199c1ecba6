"""MainWindow and what only the window uses: launch, files, sessions, autosave, data choice,
keyboard, Help, geometry, icon. Imports the other gui packages; nothing imports it.
"""
