"""Database models, split by aggregate."""

from .attempts import Answer, Attempt, AttemptStatus
from .content import LessonRow, ModuleDraft, ModuleRow, ModuleVersion
from .people import Academy, Role, User

__all__ = [
    "Academy",
    "Answer",
    "Attempt",
    "AttemptStatus",
    "LessonRow",
    "ModuleDraft",
    "ModuleRow",
    "ModuleVersion",
    "Role",
    "User",
]
