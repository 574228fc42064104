"""Score review for staff, by concern: the student directory and lookups (``students``), the cohort
matrix (``matrix``), the mastery heatmap (``heatmap``), whom they list (``members``), and what
counts as a wrong answer under certainty marking (``confidence``).

Every figure comes from grouped SQL queries, so a page costs the same handful of queries
for 3 students or 10,000, and no page loads more than its own students' rows. Callers use
``from training.services import reports`` and ``reports.<name>``: the names are re-exported here.
The page sizes are not: they live in (and are patched on) the module that uses them.
"""

from ..paging import Page, page_number
from .heatmap import (
    BANDS,
    Heatmap,
    HeatmapRow,
    band,
    cohort_heatmap,
    topic_averages,
    topic_totals,
)
from .matrix import (
    RESULTS,
    SORTS_ASCENDING_FIRST,
    STATUSES,
    AssignedModule,
    Cell,
    Matrix,
    MatrixQuery,
    MatrixRow,
    assigned_modules,
    clean_query,
    cohort_matrix,
    cohort_size,
    filter_rows,
    matrix_rows,
    sort_rows,
)
from .members import cohort_member_ids, name_or_email_contains
from .students import (
    CohortSummary,
    ModuleCertainty,
    SafetyMissEntry,
    StudentEntry,
    attempt_or_404,
    certainty_by_module,
    cohort_summaries,
    safety_misses,
    student_cohorts,
    student_directory,
)

__all__ = [
    "BANDS",
    "RESULTS",
    "SORTS_ASCENDING_FIRST",
    "STATUSES",
    "AssignedModule",
    "Cell",
    "CohortSummary",
    "Heatmap",
    "HeatmapRow",
    "Matrix",
    "MatrixQuery",
    "MatrixRow",
    "ModuleCertainty",
    "Page",
    "SafetyMissEntry",
    "StudentEntry",
    "assigned_modules",
    "attempt_or_404",
    "band",
    "certainty_by_module",
    "clean_query",
    "cohort_heatmap",
    "cohort_matrix",
    "cohort_member_ids",
    "cohort_size",
    "cohort_summaries",
    "filter_rows",
    "matrix_rows",
    "name_or_email_contains",
    "page_number",
    "safety_misses",
    "sort_rows",
    "student_cohorts",
    "student_directory",
    "topic_averages",
    "topic_totals",
]
