"""Artifact classes and type annotations (``kfp.dsl.types``)."""
