"""The one entry form: every field the three programmes ask for, grouped, and how its values
travel between an HTML form (strings) and the catalog's record fields. Labels and hints are
in ``i18n`` (``field_<name>``, ``hint_<name>``, ``group_<name>``)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from catalog.completeness import ASPECTS, FORM_FIELDS, STAGES
from catalog.vocabularies import vocabulary


@dataclass(frozen=True)
class FormField:
    name: str
    widget: str  # text | textarea | number | email | tel | select | yesno | radio | checkboxes | lines
    rows: int = 5
    maxlength: int | None = None

    @property
    def options(self) -> tuple[str, ...]:
        if self.name == "sector":
            return vocabulary("sectors").values
        if self.name == "stage":
            return STAGES
        if self.name == "sdgs":
            return tuple(str(n) for n in range(1, 18))
        return ()


def _f(name: str, widget: str = "text", **kw) -> FormField:
    return FormField(name, widget, **kw)


GROUPS: tuple[tuple[str, tuple[FormField, ...]], ...] = (
    ("identity", (_f("title", maxlength=300), _f("acronym", maxlength=60), _f("year", "number"))),
    ("problem", (_f("problem", "textarea", rows=6, maxlength=10000), _f("target_group", "textarea", rows=3))),
    ("solution", (_f("solution", "textarea", rows=6, maxlength=10000), _f("novelty", "textarea", rows=4),
                  _f("is_digital", "yesno"), _f("sector", "select"))),
    ("results", (_f("impact", "textarea", rows=5, maxlength=10000), _f("evidence", "textarea", rows=4),
                 _f("sources", "lines", rows=3))),
    ("resources", (_f("resources", "textarea", rows=4), _f("budget", "number"), _f("budget_source", maxlength=200))),
    ("stakeholders", (_f("stakeholders", "textarea", rows=4),)),
    ("sustainability", (_f("sustainability", "textarea", rows=4), _f("regulation", maxlength=500))),
    ("replication", (_f("replication", "textarea", rows=4), _f("replication_staff", "textarea", rows=3),
                     _f("replication_time", maxlength=200), _f("replication_infrastructure", "textarea", rows=3),
                     _f("replication_materials", "lines", rows=3), _f("replicated_in", "lines", rows=3))),
    ("sdgs", (_f("sdgs", "checkboxes"),)),
    ("stage", (_f("stage", "radio"),)),
    ("contact", (_f("contact_name", maxlength=200), _f("contact_unit", maxlength=200),
                 _f("contact_role", maxlength=200), _f("contact_email", "email", maxlength=254),
                 _f("contact_phone", "tel", maxlength=30), _f("contact_website", "url", maxlength=500))),
)
FIELDS = {f.name: f for _, group in GROUPS for f in group}
GROUP_OF = {f.name: name for name, group in GROUPS for f in group}
assert set(FIELDS) == set(FORM_FIELDS), "every form field is in exactly one group"
assert tuple((name, tuple(f.name for f in group)) for name, group in GROUPS[1:]) == ASPECTS, \
    "after the identity, the form's groups are the knowledge standard's aspects"

_DIGITS = re.compile(r"[\s.,]|^rp\.?", re.I)  # "Rp 1.500.000" → 1500000


def parse_form(form) -> tuple[dict, dict]:
    """(record field values, what was typed) from a submitted form (a Starlette FormData).
    Values that are not numbers where numbers belong are passed on as typed, so the catalog's
    validation reports them next to their field."""
    values: dict = {}
    typed: dict = {}
    for name, spec in FIELDS.items():
        if spec.widget == "checkboxes":
            raw = form.getlist(name)
            typed[name] = raw
            values[name] = [int(v) for v in raw if v.isdigit()]
            continue
        raw = (form.get(name) or "").strip()
        typed[name] = raw
        if spec.widget == "lines":
            values[name] = [p.strip() for p in re.split(r"[\r\n;]+", raw) if p.strip()]
        elif spec.widget == "yesno":
            values[name] = {"true": True, "false": False}.get(raw)
        elif spec.widget == "number":
            cleaned = _DIGITS.sub("", raw) if name == "budget" else raw
            values[name] = int(cleaned) if cleaned.isdigit() else (raw or None)
        else:
            values[name] = raw or None
    return values, typed


def typed_values(fields: dict) -> dict:
    """A record's field values as the form shows them (strings, lists of strings)."""
    out: dict = {}
    for name, spec in FIELDS.items():
        value = fields.get(name)
        if spec.widget == "checkboxes":
            out[name] = [str(v) for v in value or []]
        elif spec.widget == "lines":
            out[name] = "\n".join(value or [])
        elif spec.widget == "yesno":
            out[name] = "" if value is None else ("true" if value else "false")
        else:
            out[name] = "" if value is None else str(value)
    return out
