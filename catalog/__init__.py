"""Controlled vocabularies shipped as data: Indonesia's provinces and kabupaten/kota."""
