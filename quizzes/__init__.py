"""The quiz engine: module documents, item types, grading and scoring.

Pure Python on purpose: nothing here imports Flask or the ORM, so every rule about
content and marks is unit-tested without a request or a database.
"""
