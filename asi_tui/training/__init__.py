"""Coding exercises: written cases with an answer key, scoring of practice
interviews against the key, and agreement statistics for trainers.

Headless: never imports Textual, Rich or `asi_tui.ui`.
"""
