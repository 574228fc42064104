"""The Flask application around the quiz engine."""
