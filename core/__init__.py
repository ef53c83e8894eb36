"""Core: units, users, roles, scoping, audit log, crypto, helpers shared by every module."""
