"""The registry of persons and vehicles, linked from cases, tips and the blacklist."""
