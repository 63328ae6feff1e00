"""Every string the pages show, in Bahasa Indonesia (the default) and English, and the labels for
stored values. Templates call t("key") and the |label filter; nothing is translated elsewhere."""
from __future__ import annotations

from jinja2 import pass_context

from catalog.vocabularies import vocabulary
from search_api.facets import FACETS_BY_NAME

DEFAULT = "id"

TEXT: dict[str, dict[str, str]] = {
    "id": {
        "site": "JIPPNas Search",
        "skip": "Langsung ke isi",
        "skip_results": "Langsung ke hasil",
        "menu": "Menu utama",
        "nav_search": "Cari inovasi",
        "nav_problem": "Ceritakan masalah",
        "nav_stats": "Statistik",
        "nav_widget": "Widget",
        "other_lang": "English",
        "other_lang_code": "en",
        "footer": "Jaringan Inovasi Pelayanan Publik Nasional — data KIPP (KemenPANRB), IGA (Kemendagri), InoLAN (LAN).",
        "search_label": "Cari inovasi pelayanan publik",
        "search_placeholder": "mis. anak kurang gizi, antrean KTP, sampah pasar",
        "search_button": "Cari",
        "mode_legend": "Mode pencarian",
        "filter_results": "Saring hasil",
        "filter": "Saring",
        "year_range": "Rentang tahun",
        "year_from": "Dari",
        "year_to": "sampai",
        "apply": "Terapkan",
        "more": "{n} lainnya",
        "facet_search": "Cari di {facet}",
        "facet_no_match": "Tidak ada nilai yang cocok dengan “{q}”.",
        "facet_clear": "Tampilkan semua",
        "selected": "(dipilih)",
        "results": "Hasil pencarian",
        "active_filters": "Saringan aktif",
        "remove_filter": "Hapus saringan ini",
        "remove": "(hapus)",
        "clear_all": "Hapus semua",
        "innovations": "inovasi",
        "for_query": "untuk “{q}”",
        "did_you_mean": "Maksud Anda:",
        "sort_by": "Urutkan:",
        "to_filters": "Saring hasil ↓",
        "download": "Unduh:",
        "no_results": "Tidak ada inovasi yang cocok. Coba kata lain, mode semantik, atau hapus sebagian saringan.",
        "pages": "Halaman hasil",
        "prev": "‹ Sebelumnya",
        "next": "Berikutnya ›",
        "problem": "Masalah",
        "solution": "Solusi",
        "impact": "Dampak",
        "agency": "Instansi",
        "location": "Lokasi",
        "programme": "Program",
        "award": "Penghargaan",
        "sector": "Sektor",
        "stage": "Tahapan",
        "digital": "Digital",
        "yes": "Ya",
        "no": "Tidak",
        "history": "Riwayat program",
        "replication": "Replikasi",
        "replicated_in": "Sudah direplikasi di:",
        "not_replicated": "Belum ada catatan replikasi. Ingin mereplikasi? Hubungi {agency}.",
        "sources": "Sumber",
        "similar": "Inovasi serupa",
        "no_similar": "Belum ada inovasi serupa.",
        "similarity": "Kemiripan",
        "similarity_title": "Kemiripan makna",
        "shared_terms": "kata yang sama:",
        "problem_title": "Ceritakan masalah Anda",
        "problem_lead": "Tuliskan masalah pelayanan di daerah atau instansi Anda dengan kata-kata sendiri. "
                        "Kami carikan inovasi yang sudah menyelesaikan masalah serupa.",
        "problem_label": "Masalah yang Anda hadapi",
        "problem_placeholder": "mis. Banyak balita di desa kami kurang gizi dan jarang datang ke posyandu.",
        "province": "Provinsi",
        "all_provinces": "Semua provinsi",
        "agency_level": "Jenis instansi",
        "all_levels": "Semua jenis",
        "find_solutions": "Cari solusi",
        "too_short": "Ceritakan masalahnya sedikit lebih panjang.",
        "problem_results": "Inovasi yang menyelesaikan masalah serupa",
        "problem_total": "inovasi teratas yang menjawab masalah serupa",
        "problem_empty": "Belum ada yang cocok. Coba hapus saringan provinsi atau jenis instansi.",
        "stats_title": "Statistik inovasi",
        "stats_lead": "inovasi dalam katalog. Klik batang untuk melihat inovasinya.",
        "chart_by": "Inovasi per {facet}",
        "back_to_search": "Kembali ke pencarian",
        "err_not_found": "Tidak ditemukan",
        "err_not_found_msg": "Halaman yang Anda cari tidak ada.",
        "err_no_innovation": "Tidak ada inovasi dengan kode {id}.",
        "err_request": "Permintaan tidak dapat diproses",
        "err_unavailable": "Layanan pencarian sedang tidak tersedia",
        "err_unavailable_msg": "Mesin pencari sedang tidak dapat dihubungi. Silakan coba lagi beberapa saat lagi.",
        "err_unexpected": "Terjadi kesalahan",
        "err_unexpected_msg": "Kesalahan tak terduga; sudah dicatat.",
        "err_param": "Parameter tidak valid",
        "err_param_msg": "Periksa isian “{param}”: {message}",
        "embed_all": "Lihat semua hasil di JIPPNas",
        "new_tab": "(tab baru)",
        "widget_title": "Widget pencarian untuk portal Anda",
        "widget_lead": "Satu tag script menampilkan kotak pencarian dan hasil JIPPNas di situs Anda. "
                       "Tampilannya terisolasi dari CSS halaman Anda (Shadow DOM) dan dapat diatur warnanya "
                       "dengan CSS custom properties.",
        "widget_snippet": "Tempelkan kode ini",
        "widget_cors": "Situs Anda harus terdaftar di JIPPNAS_CORS_ORIGINS server ini agar widget dapat "
                       "mengambil hasil.",
        "widget_live": "Contoh langsung",
        "widget_themed": "Dengan tema sendiri",
        "widget_iframe": "Atau sebagai iframe",
    },
    "en": {
        "site": "JIPPNas Search",
        "skip": "Skip to content",
        "skip_results": "Skip to results",
        "menu": "Main menu",
        "nav_search": "Search innovations",
        "nav_problem": "Describe a problem",
        "nav_stats": "Statistics",
        "nav_widget": "Widget",
        "other_lang": "Bahasa Indonesia",
        "other_lang_code": "id",
        "footer": "National Public Service Innovation Network — data from KIPP (KemenPANRB), IGA (Kemendagri), "
                  "InoLAN (LAN).",
        "search_label": "Search public-service innovations",
        "search_placeholder": "e.g. child malnutrition, ID card queues, market waste",
        "search_button": "Search",
        "mode_legend": "Search mode",
        "filter_results": "Filter results",
        "filter": "Filter",
        "year_range": "Year range",
        "year_from": "From",
        "year_to": "to",
        "apply": "Apply",
        "more": "{n} more",
        "facet_search": "Search in {facet}",
        "facet_no_match": "No value matches “{q}”.",
        "facet_clear": "Show all",
        "selected": "(selected)",
        "results": "Search results",
        "active_filters": "Active filters",
        "remove_filter": "Remove this filter",
        "remove": "(remove)",
        "clear_all": "Clear all",
        "innovations": "innovations",
        "for_query": "for “{q}”",
        "did_you_mean": "Did you mean:",
        "sort_by": "Sort:",
        "to_filters": "Filter results ↓",
        "download": "Download:",
        "no_results": "No innovation matches. Try other words, semantic mode, or remove some filters.",
        "pages": "Result pages",
        "prev": "‹ Previous",
        "next": "Next ›",
        "problem": "Problem",
        "solution": "Solution",
        "impact": "Impact",
        "agency": "Agency",
        "location": "Location",
        "programme": "Programme",
        "award": "Award",
        "sector": "Sector",
        "stage": "Stage",
        "digital": "Digital",
        "yes": "Yes",
        "no": "No",
        "history": "Programme history",
        "replication": "Replication",
        "replicated_in": "Replicated in:",
        "not_replicated": "No replication recorded yet. Want to replicate it? Contact {agency}.",
        "sources": "Sources",
        "similar": "Similar innovations",
        "no_similar": "No similar innovations yet.",
        "similarity": "Similarity",
        "similarity_title": "Similarity in meaning",
        "shared_terms": "shared words:",
        "problem_title": "Describe your problem",
        "problem_lead": "Describe a service problem in your region or agency in your own words (Indonesian works "
                        "best). We find innovations that already solved a similar problem.",
        "problem_label": "The problem you face",
        "problem_placeholder": "e.g. Many toddlers in our villages are malnourished and rarely visit the posyandu.",
        "province": "Province",
        "all_provinces": "All provinces",
        "agency_level": "Agency type",
        "all_levels": "All types",
        "find_solutions": "Find solutions",
        "too_short": "Please describe the problem in a few more words.",
        "problem_results": "Innovations that solved a similar problem",
        "problem_total": "top innovations answering a similar problem",
        "problem_empty": "Nothing matches yet. Try removing the province or agency type filter.",
        "stats_title": "Innovation statistics",
        "stats_lead": "innovations in the catalog. Click a bar to see them.",
        "chart_by": "Innovations by {facet}",
        "back_to_search": "Back to search",
        "err_not_found": "Not found",
        "err_not_found_msg": "The page you are looking for does not exist.",
        "err_no_innovation": "There is no innovation with id {id}.",
        "err_request": "The request could not be processed",
        "err_unavailable": "The search service is unavailable",
        "err_unavailable_msg": "The search engine cannot be reached right now. Please try again shortly.",
        "err_unexpected": "Something went wrong",
        "err_unexpected_msg": "Unexpected error; it has been logged.",
        "err_param": "Invalid parameter",
        "err_param_msg": "Check “{param}”: {message}",
        "embed_all": "See all results on JIPPNas",
        "new_tab": "(new tab)",
        "widget_title": "A search widget for your portal",
        "widget_lead": "One script tag shows a JIPPNas search box and results on your site. It is isolated from "
                       "your page's CSS (Shadow DOM) and themable with CSS custom properties.",
        "widget_snippet": "Paste this code",
        "widget_cors": "Your site's origin must be listed in this server's JIPPNAS_CORS_ORIGINS for the widget "
                       "to fetch results.",
        "widget_live": "Live example",
        "widget_themed": "With its own theme",
        "widget_iframe": "Or as an iframe",
    },
}

MODES = {"id": {"hybrid": "Hibrid", "keyword": "Kata kunci", "semantic": "Semantik"},
         "en": {"hybrid": "Hybrid", "keyword": "Keyword", "semantic": "Semantic"}}
SORTS = {"id": {"relevance": "Relevansi", "newest": "Terbaru", "oldest": "Terlama"},
         "en": {"relevance": "Relevance", "newest": "Newest", "oldest": "Oldest"}}
def language(requested: str | None) -> str:
    return requested if requested in TEXT else DEFAULT


def text(lang: str, key: str, **values) -> str:
    message = TEXT[lang][key]
    return message.format(**values) if values else message


def number(lang: str, n: int) -> str:
    return f"{n:,}".replace(",", "." if lang == "id" else ",")


def value_label(facet: str, value, lang: str = DEFAULT) -> str:
    return FACETS_BY_NAME[facet].value_label(str(value), lang)


def install(env) -> None:
    """Template helpers; they read the page's `lang` from the render context."""

    @pass_context
    def t(ctx, key: str, **values) -> str:
        return text(ctx.get("lang", DEFAULT), key, **values)

    @pass_context
    def label(ctx, value, facet: str) -> str:
        return value_label(facet, value, ctx.get("lang", DEFAULT))

    @pass_context
    def num(ctx, n: int) -> str:
        return number(ctx.get("lang", DEFAULT), n)

    @pass_context
    def u(ctx, path: str) -> str:
        """An internal link that keeps the page's language."""
        lang = ctx.get("lang", DEFAULT)
        if lang == DEFAULT:
            return path
        return f"{path}{'&' if '?' in path else '?'}lang={lang}"

    env.globals.update(t=t, u=u, num=num, MODES=MODES, SORTS=SORTS,
                       AGENCY_LEVELS=vocabulary("agency_levels").labels)
    env.filters["label"] = label
