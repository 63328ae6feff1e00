"""Import pipeline: source exports → canonical records → catalog → search engine."""
