"""The in-browser editor for a module's draft (routes are added here)."""
