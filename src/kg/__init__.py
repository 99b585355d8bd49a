"""Integration Policy Knowledge Graph: ontology, data, shapes and the tools around them."""

__version__ = "0.1.0"
