"""cluster-assistant: a cited knowledge assistant for coordinators of business clusters."""

__version__ = "0.1.0"
