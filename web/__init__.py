"""Web pages and the embeddable widget; calls search_api in-process."""
