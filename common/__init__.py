"""Shared infrastructure for the five pipelines: configs, run records, checkpoints, devices and
distribution (and, as the pipelines arrive, the parts two of them share). No paper-specific logic;
imports no pipeline."""
