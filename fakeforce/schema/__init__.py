"""The org's schema: objects and fields as describe shows them, and the rules validation derives from them."""

from .model import Field, Schema, SObject
from .loader import load_schema

__all__ = ["Field", "Schema", "SObject", "load_schema"]
