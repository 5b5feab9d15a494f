"""Span F1 and evaluation reports."""
