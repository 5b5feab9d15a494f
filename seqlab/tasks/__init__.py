"""Lightning task modules; the plug-in point."""
