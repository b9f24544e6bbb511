"""Organisations, departments, teams, people and their roles; later the change programme itself."""
