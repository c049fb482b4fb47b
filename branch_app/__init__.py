"""The Guangzhou social security card counter application (teller, home-visit, supervisor)."""

__version__ = "0.1.0"
