"""Live analysis in the main window: the controller, its docks, chart overlays and time links.

Everything here types against ``ui.host.ChartHost``, never the main window, so the window
knows nothing of analysis; ``app.build_window`` puts the two together.
"""
