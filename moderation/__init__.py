"""Moderation: one visibility state for everything residents write, and the queue."""
