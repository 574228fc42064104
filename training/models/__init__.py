"""Database models, split by aggregate."""

from .attempts import Answer, Attempt, AttemptStatus
from .audit import AuditEvent
from .certificates import Certificate
from .cohorts import Cohort, CohortInstructor, CohortMember, CohortModule
from .content import LessonRow, ModuleDraft, ModuleEditor, ModuleRow, ModuleVersion
from .overrides import ModuleOverride
from .people import Academy, Role, User, UserSession
from .review import ReviewCard, ReviewLog
from .summaries import AttemptTopic, VersionAnalysis
from .throttle import RateLimitCount

__all__ = [
    "Academy",
    "Answer",
    "Attempt",
    "AttemptStatus",
    "AttemptTopic",
    "AuditEvent",
    "Certificate",
    "Cohort",
    "CohortInstructor",
    "CohortMember",
    "CohortModule",
    "LessonRow",
    "ModuleDraft",
    "ModuleEditor",
    "ModuleOverride",
    "ModuleRow",
    "ModuleVersion",
    "RateLimitCount",
    "ReviewCard",
    "ReviewLog",
    "Role",
    "User",
    "UserSession",
    "VersionAnalysis",
]
