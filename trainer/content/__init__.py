"""Course content: YAML files under CONTENT_ROOT, validated and turned into immutable objects.

`load_content(root)` is pure (files in, objects and problems out); the app keeps the result for its lifetime.
"""
from .loader import load_content, ContentSet, Problem  # noqa: F401
