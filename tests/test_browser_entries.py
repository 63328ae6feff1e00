"""The whole write path in a real browser (Debian's chromium, Playwright): an admin sets up an
agency and people with the CLI; the editor signs in, drafts, submits to KIPP and IGA; the
KIPP curator returns it, the editor fixes it, the curator verifies it; it appears in search;
another agency's editor cannot edit it; a stale edit gets 409 with both versions.
Screenshots go to test-artifacts/screenshots/entry-*.png."""
from __future__ import annotations

import re

import pytest

from indexer.pipeline import Indexer
from tests.conftest import make_settings, serve_app
from tests.test_browser import browser, shot  # noqa: F401  (the browser fixture)
from tests.test_pipeline import run_cli

pytestmark = pytest.mark.browser
PASSWORD = "kata-sandi-rahasia"


def serve(settings):
    """The app with publishing wired to the indexer, as `jippnas serve` wires it."""
    return serve_app(settings, after_publish=lambda runtime: Indexer.for_runtime(runtime).sync())


def cli(data, *args, password: str | None = None) -> str:
    import os
    import subprocess
    import sys

    if password is None:
        proc = run_cli(list(args), data)
    else:
        proc = subprocess.run([sys.executable, "-m", "jippnas.cli", *args], input=password + "\n", text=True,
                              capture_output=True, env={**os.environ, "JIPPNAS_DATA_DIR": str(data)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("entries-browser") / "data"
    sleman = cli(data, "agency", "add", "Dinas Kesehatan Kabupaten Sleman", "--level", "kabupaten",
                 "--province", "DI Yogyakarta", "--regency", "Sleman")
    malang = cli(data, "agency", "add", "Dinas Kesehatan Kota Malang", "--level", "kota", "--province", "Jawa Timur",
                 "--regency", "Kota Malang")
    for args in (("editor@sleman.go.id", "--role", "editor", "--agency", sleman),
                 ("editor@malang.go.id", "--role", "editor", "--agency", malang),
                 ("kurator@kipp.go.id", "--role", "curator", "--programme", "KIPP"),
                 ("kurator@iga.go.id", "--role", "curator", "--programme", "IGA")):
        cli(data, "user", "add", *args, password=PASSWORD)
    with serve(make_settings(data)) as url:
        yield url


@pytest.fixture
def people(browser):  # noqa: F811
    contexts = []

    def person(email: str, site: str):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        # 4xx answers (a refused submission, another agency's page) are expected; CSP and script errors are not
        page.on("console", lambda msg: page.errors.append(msg.text) if msg.type == "error"
                and not msg.text.startswith("Failed to load resource") else None)
        page.goto(f"{site}/masuk")
        page.get_by_label("Alamat e-mail").fill(email)
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url(re.compile(r"/kelola$"))
        return page

    yield person
    for context in contexts:
        context.close()


PROBLEM = ("Balita di dusun-dusun terpencil lereng Merapi jarang ditimbang karena posyandu jauh dan jalan rusak "
           "saat musim hujan, sehingga gizi buruk terlambat diketahui.")
SOLUTION = ("Kader posyandu berkeliling dengan sepeda motor membawa timbangan digital dan buku KIA ke setiap dusun "
            "terpencil, lalu mencatat hasilnya di aplikasi puskesmas.")


def fill(page, values: dict[str, str]) -> None:
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)


def test_the_whole_path_from_draft_to_search(site, people):
    editor = people("editor@sleman.go.id", site)
    shot(editor, "entry-workspace-empty")
    editor.get_by_role("link", name="Isi inovasi baru").click()
    fill(editor, {"Nama inovasi": "Timbang Keliling Dusun", "Singkatan": "Tilang Dusun",
                  "Masalah yang diselesaikan": PROBLEM})
    editor.get_by_role("button", name="Simpan draf").click()
    editor.wait_for_url(re.compile(r"/kelola/input-"))
    assert editor.get_by_role("status").inner_text() == "Tersimpan."
    entry_url = editor.url
    kipp_panel = editor.locator("#programme-KIPP")
    assert "Masih kurang:" in kipp_panel.inner_text() and "Kebaruan" in kipp_panel.inner_text()
    shot(editor, "entry-draft")

    # submitting with fields missing: errors next to the fields, the draft stays
    editor.get_by_label("KIPP — Kompetisi Inovasi Pelayanan Publik (KemenPANRB)").check()
    editor.get_by_role("button", name="Simpan dan ajukan").click()
    assert editor.locator("#f-novelty .field-error").inner_text() == "Wajib diisi untuk KIPP."
    assert editor.locator("#in-novelty").get_attribute("aria-invalid") == "true"
    shot(editor, "entry-missing")

    fill(editor, {"Sasaran (siapa yang dilayani)": "Balita dan ibu hamil", "Solusi: apa yang dilakukan dan bagaimana":
                  SOLUTION, "Kebaruan": "Posyandu yang mendatangi warga.",
                  "Hasil dan dampak": "Cakupan penimbangan naik dari 61% menjadi 94% dalam setahun.",
                  "Bukti hasil": "Laporan puskesmas.", "Sumber daya yang digunakan": "12 kader, 4 motor",
                  "Anggaran (rupiah)": "Rp 150.000.000", "Sumber anggaran": "APBD",
                  "Pemangku kepentingan dan perannya": "Puskesmas, kader, desa",
                  "Strategi keberlanjutan": "Masuk anggaran rutin", "Dasar hukum": "Perbup Sleman 12/2023",
                  "Kesiapan untuk direplikasi": "Cukup kader dan timbangan portabel",
                  "Tahun mulai diterapkan": "2023", "Nama narahubung": "Ani Lestari",
                  "E-mail narahubung": "ani@dinkes.example.go.id", "Telepon narahubung": "+62 274 123456"})
    editor.get_by_label("Ya, digital").check()
    editor.get_by_label("Urusan pemerintahan (sektor)").select_option("Kesehatan")
    editor.get_by_label("SDG 3", exact=True).check()
    editor.get_by_label("Penerapan").check()
    editor.get_by_label("IGA — Innovative Government Award (Kemendagri)").check()
    editor.get_by_role("button", name="Simpan dan ajukan").click()
    editor.wait_for_url(entry_url)
    assert "Tersimpan dan diajukan ke KIPP, IGA" in editor.get_by_role("status").inner_text()
    assert "Diajukan" in editor.locator("#programme-KIPP").inner_text()
    assert "Diajukan" in editor.locator("#programme-IGA").inner_text()
    shot(editor, "entry-submitted")

    # the KIPP curator returns it with a comment
    curator = people("kurator@kipp.go.id", site)
    curator.get_by_role("link", name="Timbang Keliling Dusun").click()
    assert curator.locator("#in-title").get_attribute("readonly") is not None
    curator.get_by_label("Catatan untuk pengisi").fill("Jelaskan bagaimana cakupan penimbangan diukur.")
    shot(curator, "entry-review")
    curator.get_by_role("button", name="Kembalikan dengan catatan").click()
    assert curator.get_by_role("status").inner_text() == "Dikembalikan ke pengisi dengan catatan."

    # the editor sees the comment and fixes it
    editor.goto(entry_url)
    kipp_panel = editor.locator("#programme-KIPP")
    assert "Dikembalikan" in kipp_panel.inner_text()
    assert "Jelaskan bagaimana cakupan penimbangan diukur." in kipp_panel.inner_text()
    assert "Diajukan" in editor.locator("#programme-IGA").inner_text()
    shot(editor, "entry-returned")
    fill(editor, {"Bukti hasil": "Register penimbangan posyandu, dihitung ulang tiap bulan oleh puskesmas."})
    editor.get_by_label("IGA — Innovative Government Award (Kemendagri)").uncheck()
    editor.get_by_role("button", name="Simpan dan ajukan").click()
    assert "diajukan ke KIPP" in editor.get_by_role("status").inner_text()

    # the curator verifies: it is published and searchable
    curator.reload()
    assert "dihitung ulang tiap bulan" in curator.locator("#in-evidence").input_value()
    curator.get_by_role("button", name="Verifikasi dan terbitkan").click()
    assert "dapat dicari" in curator.get_by_role("status").inner_text()
    assert "Terbit" in curator.locator("#programme-KIPP").inner_text()
    shot(curator, "entry-verified")

    search = curator.context.new_page()
    search.goto(f"{site}/?q=timbang+keliling+dusun&mode=keyword")
    hit = search.locator("li.hit h3 a").first
    assert hit.inner_text() == "Timbang Keliling Dusun"
    assert search.locator("li.hit .tag", has_text="KIPP").count() == 1
    shot(search, "entry-in-search")
    hit.click()
    assert search.locator("h1").inner_text().startswith("Timbang Keliling Dusun")
    assert "lereng Merapi" in search.locator("article.profile").inner_text()

    # another agency's editor cannot edit it
    other = people("editor@malang.go.id", site)
    assert "Timbang Keliling Dusun" not in other.content()
    response = other.goto(entry_url)
    assert response.status == 403 and "instansi lain" in other.locator("main").inner_text()
    shot(other, "entry-other-agency")
    assert not editor.errors and not curator.errors and not other.errors


def test_a_stale_edit_gets_409_with_both_versions(site, people):
    editor = people("editor@sleman.go.id", site)
    editor.get_by_role("link", name="Isi inovasi baru").click()
    fill(editor, {"Nama inovasi": "Layanan Antar Obat"})
    editor.get_by_role("button", name="Simpan draf").click()
    editor.wait_for_url(re.compile(r"/kelola/input-"))
    url = editor.url
    second = editor.context.new_page()  # the same editor in a second tab, on the same revision
    second.goto(url)
    fill(editor, {"Nama inovasi": "Layanan Antar Obat Lansia"})
    editor.get_by_role("button", name="Simpan draf").click()
    assert editor.get_by_role("status").inner_text() == "Tersimpan."

    fill(second, {"Nama inovasi": "Antar Obat ke Rumah"})
    with second.expect_response(lambda r: r.request.method == "POST") as answer:
        second.get_by_role("button", name="Simpan draf").click()
    assert answer.value.status == 409
    conflict = second.locator("section.conflict")
    assert "sudah diubah orang lain" in conflict.inner_text()
    assert conflict.locator("td.yours").first.inner_text() == "Antar Obat ke Rumah"
    assert conflict.locator("td.saved").first.inner_text() == "Layanan Antar Obat Lansia"
    assert second.locator("#in-title").input_value() == "Antar Obat ke Rumah"  # nothing typed is lost
    shot(second, "entry-conflict")
    editor.reload()
    assert editor.locator("#in-title").input_value() == "Layanan Antar Obat Lansia"  # nothing overwritten


def test_the_form_is_labelled_and_usable_by_keyboard(site, people):
    editor = people("editor@sleman.go.id", site)
    editor.goto(f"{site}/kelola/baru")
    unlabelled = editor.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(e => !e.labels.length && !e.getAttribute('aria-label')).map(e => e.name)""")
    assert unlabelled == []
    editor.locator("#in-title").focus()
    editor.keyboard.press("Tab")
    assert editor.evaluate("document.activeElement.id") == "in-acronym"
    assert editor.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    shot(editor, "entry-form-empty")
    phone = editor.context.browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = phone.new_page()
        page.goto(f"{site}/masuk")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(page, "entry-login-phone", full_page=False)
    finally:
        phone.close()
