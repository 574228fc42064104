"""Readers and writers of content files."""
