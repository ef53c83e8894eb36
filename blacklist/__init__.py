"""Blacklist: entries, rules, publication, sharing API, monitoring."""
