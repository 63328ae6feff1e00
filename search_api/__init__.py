"""JIPPNas search core: the canonical record, Indonesian analysis, embeddings,
the engine interface with its engines, and the JSON API."""
