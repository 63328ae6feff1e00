"""Indonesian text analysis shared by every engine.

Both engines index the output of this one analyser, so keyword matching is identical
whatever the backend: lower-case, accent folding, the curated lexicon (abbreviations and
spelling variants), stop words, and PySastrawi stemming.
"""
from .analyzer import Analyzer, get_analyzer, fold, tokenize

__all__ = ["Analyzer", "get_analyzer", "fold", "tokenize"]
