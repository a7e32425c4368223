"""Event sources: files, importers and the simulator."""
