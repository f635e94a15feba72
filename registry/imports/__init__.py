"""Bulk uploads: files as people have them, read into rows and imported whole or
not at all."""
