"""Certificates, the pure core: serials, records, templates, PDF rendering and the two signatures (no Flask)."""
