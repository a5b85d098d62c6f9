"""Insights: planners' reports built on the pure analysis library in insights/pipeline."""
