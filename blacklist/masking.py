"""The one masking policy (domain.md §6.4) for everything public: pages, PDF, CSV and the public
API all call :func:`public_fields`, so the same person is masked the same way everywhere and two
publications cannot be combined to unmask anyone."""
from __future__ import annotations

from core import identity, settings

DEFAULT_POLICY = {
    "name": "surname",  # surname + one * per other character; "hidden" drops the name
    "id_keep_head": 6,
    "id_keep_tail": 4,
    "phone_keep_head": 0,  # 0 and 0: the phone is hidden
    "phone_keep_tail": 0,
    "plate": "full",  # "full" or "hidden"
    "mask_char": "*",
}
settings.define("blacklist.mask_policy", DEFAULT_POLICY, "how personal data is masked on "
                "every public page and file (§6.4)", kind=dict, minimum=None)

#: The only fields that ever leave the system publicly, in this order.
PUBLIC_FIELDS = ("id", "subject", "plate", "plate_colour", "name", "id_no", "phone", "area",
                 "rule", "serious", "starts_on", "ends_on", "unit_name")


def policy() -> dict:
    configured = settings.get("blacklist.mask_policy") or {}
    return {**DEFAULT_POLICY, **configured}


def mask_values(data: dict, rules: dict) -> dict:
    """Pure: ``data`` (an entry snapshot) reduced to the public fields and masked by ``rules``."""
    char = str(rules.get("mask_char") or "*")[:1] or "*"
    name = data.get("name") or ""
    id_no = data.get("id_no") or ""
    phone = data.get("phone") or ""
    out = {key: data.get(key) for key in PUBLIC_FIELDS}
    out["name"] = "" if rules.get("name") == "hidden" or not name else \
        identity.mask_name(name, mask_char=char)
    out["id_no"] = identity.mask_id_number(id_no, int(rules.get("id_keep_head", 6)),
                                           int(rules.get("id_keep_tail", 4)), char) \
        if id_no else ""
    try:
        out["phone"] = identity.mask_phone(phone, int(rules.get("phone_keep_head", 0)),
                                           int(rules.get("phone_keep_tail", 0)), char) \
            if phone else ""
    except ValueError:
        out["phone"] = ""
    if rules.get("plate") == "hidden":
        out["plate"] = ""
    return out


def public_fields(data: dict) -> dict:
    """The public, masked view of an entry snapshot under the configured policy."""
    return mask_values(data, policy())
