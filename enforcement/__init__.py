"""Enforcement: cases, people and vehicles, joint actions, zones, meetings, tips, rewards."""
