"""Extraction: text of a Chinese government document → dated milestones with evidence.

The single entry point is `extract()`. This package imports no database, template,
calendar or scheduler library.
"""

from scheduler.extract.model import DocumentInfo, Extraction, Milestone
from scheduler.extract.pipeline import extract
from scheduler.extract.ruleset import Ruleset, load_ruleset

__all__ = ["extract", "load_ruleset", "Extraction", "DocumentInfo", "Milestone", "Ruleset"]
