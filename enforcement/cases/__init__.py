"""Enforcement cases (案件): record, workflow, deadlines, documents, evidence."""
