"""The report's generated sentences, events and reconciliation steps, in the reader's language.

Every message is an English msgid of the gettext catalogues; values are prepared for the output
format by :class:`scanner.report.i18n.Words` (inventory values escaped and quoted, numbers and
names formatted per language) before they fill the translated template. Sentences avoid grammar
that generated text gets wrong: names of laws and countries come in lists after a colon or in
brackets, never after a preposition that would need an article or a case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scanner.report.events import Event, Step
from scanner.report.i18n import N_, Words
from scanner.result import FindingTemplate


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of the first page: ``kind`` selects the wording, ``params`` fill it."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    worse: bool | None = None


def _laws(w: Words, laws: list[str], limit: int = 3) -> str:
    return w.own(w.few([w.law_short(law) for law in laws], limit))


def _countries(w: Words, codes: list[str], limit: int = 4) -> str:
    return w.own(w.few([w.country(c) for c in codes], limit))


def _classes(w: Words, classes: list[str]) -> str:
    return w.own(w.classes(classes) if classes else w._("no sensitive data"))


def reach_phrase(w: Words, control: bool, location: bool, residual: bool = False) -> str:
    """How an application is reachable, as a phrase (escaped for the output)."""
    if control and location:
        text = w._("reachable by a foreign law through its provider's control and through a copy abroad")
    elif control:
        text = w._("reachable by a foreign law through its provider's control")
    elif location:
        text = w._("reachable by a foreign law through a copy abroad")
    elif residual:
        text = w._("reachable only through its provider's presence abroad (residual, contested)")
    else:
        text = w._("not reachable by a foreign law")
    return w.own(text)


def sentence(w: Words, s: Sentence) -> str:
    p = s.params
    app = w.quoted(p["app"]) if "app" in p else ""
    if s.kind == "copy-abroad-new":
        return w.fill(w._("New this quarter: the application %(app)s (%(classes)s) is now also copied outside the "
                          "EU/EEA (%(countries)s), where the local laws reach it."),
                      {"app": app, "classes": _classes(w, p["classes"]), "countries": _countries(w, p["countries"])})
    if s.kind == "reclassified":
        if p["reachable"]:
            return w.fill(w.ngettext(
                "Reclassified this quarter: the application %(app)s now holds %(classes)s, and a foreign law can "
                "reach it (%(laws)s).",
                "Reclassified this quarter: the application %(app)s now holds %(classes)s, and foreign laws can "
                "reach it (%(laws)s).", len(p["laws"])),
                {"app": app, "classes": _classes(w, p["classes"]), "laws": _laws(w, p["laws"])}, len(p["laws"]))
        return w.fill(w._("Reclassified this quarter: the application %(app)s now holds %(classes)s; no foreign law "
                          "reaches it by control or location."), {"app": app, "classes": _classes(w, p["classes"])})
    if s.kind == "app-new":
        if p["reachable"]:
            return w.fill(w.ngettext(
                "New this quarter: the application %(app)s holds %(classes)s, and a foreign law can reach it "
                "(%(laws)s).",
                "New this quarter: the application %(app)s holds %(classes)s, and foreign laws can reach it "
                "(%(laws)s).", len(p["laws"])),
                {"app": app, "classes": _classes(w, p["classes"]), "laws": _laws(w, p["laws"])}, len(p["laws"]))
        return w.fill(w._("New this quarter: the application %(app)s holds %(classes)s; no foreign law reaches it by "
                          "control or location."), {"app": app, "classes": _classes(w, p["classes"])})
    if s.kind == "app-removed":
        return w.fill(w._("The application %(app)s (%(classes)s), reachable by a foreign law last quarter, is no "
                          "longer in the inventory."), {"app": app, "classes": _classes(w, p["classes"])})
    if s.kind == "state":
        if p["total"] == 0:
            return w.own(w._("The inventory shows no application holding sensitive data."))
        if p["reachable"] == 0:
            return w.fill(w.ngettext(
                "The only application holding sensitive data cannot be reached by a foreign law through its "
                "provider's control or a copy abroad.",
                "None of the %(num)s applications holding sensitive data can be reached by a foreign law through "
                "their provider's control or a copy abroad.", p["total"]), {}, p["total"])
        return w.fill(w.ngettext(
            "%(num)s of the %(total)s applications holding sensitive data can be reached by a foreign law "
            "(through the control of its provider: %(control)s; because a copy is abroad: %(location)s).",
            "%(num)s of the %(total)s applications holding sensitive data can be reached by a foreign law "
            "(through the control of their provider: %(control)s; because a copy is abroad: %(location)s).",
            p["reachable"]), {"total": w.integer(p["total"]), "control": w.integer(p["control"]),
                              "location": w.integer(p["location"])}, p["reachable"])
    if s.kind == "keys":
        return w.fill(w.ngettext(
            "Who holds the encryption keys of the %(num)s sensitive resource that can be reached: not shown in the "
            "exports for %(unknown)s, the provider for %(provider)s, us at the provider for %(managed)s, us outside "
            "the provider for %(external)s.",
            "Who holds the encryption keys of the %(num)s sensitive resources that can be reached: not shown in the "
            "exports for %(unknown)s, the provider for %(provider)s, us at the provider for %(managed)s, us outside "
            "the provider for %(external)s.", p["total"]),
            {"unknown": w.integer(p["unknown"]), "provider": w.integer(p["provider"]),
             "managed": w.integer(p["managed"]), "external": w.integer(p["external"])}, p["total"])
    if s.kind == "residual":
        return w.fill(w.ngettext(
            "%(num)s more application holding sensitive data can be reached only through its provider's presence "
            "abroad: a contested, residual reach, counted apart.",
            "%(num)s more applications holding sensitive data can be reached only through their provider's "
            "presence abroad: a contested, residual reach, counted apart.", p["count"]), {}, p["count"])
    if s.kind == "worst":
        return w.fill(w.ngettext(
            "The most exposed: the application %(app)s (%(classes)s), reachable by a foreign law (%(laws)s).",
            "The most exposed: the application %(app)s (%(classes)s), reachable by foreign laws (%(laws)s).",
            len(p["laws"])), {"app": app, "classes": _classes(w, p["classes"]), "laws": _laws(w, p["laws"])},
            len(p["laws"]))
    raise ValueError(f"unknown sentence kind {s.kind!r}")


def _resources(w: Words, n: int) -> str:
    return w.count(w.ngettext("%(num)s resource", "%(num)s resources", n), n)


def event(w: Words, e: Event) -> str:
    """One change of the quarter as a sentence (or two) in the reader's language."""
    wording = _EVENTS.get(e.kind)
    if wording is None:
        raise ValueError(f"unknown event kind {e.kind!r}")
    app = w.quoted(e.name) if e.app is not None else ""
    return wording(w, e.params, app)


def _app_new(w: Words, p: dict[str, Any], app: str) -> str:
    return w.fill(w._("New application %(app)s (%(resources)s): %(classes)s, %(reach)s."), {
        "app": app, "resources": w.own(_resources(w, p["resources"])), "classes": _classes(w, p["classes"]),
        "reach": reach_phrase(w, p["control"], p["location"], p["residual"])}) + _law_list(w, p["laws"])


def _app_removed(w: Words, p: dict[str, Any], app: str) -> str:
    return w.fill(w._("The application %(app)s (%(resources)s: %(classes)s) is no longer in the inventory."), {
        "app": app, "resources": w.own(_resources(w, p["resources"])), "classes": _classes(w, p["classes"])})


def _copy_abroad_new(w: Words, p: dict[str, Any], app: str) -> str:
    text = w.fill(w._("%(app)s is now copied outside the EU/EEA (%(countries)s)."), {
        "app": app, "countries": _countries(w, p["countries"], 6)})
    if p["kinds"]:
        kinds = w.own(w.join([w.flow_kind(k) for k in p["kinds"]]))
        text += w.own(" ") + w.fill(w._("How: %(kinds)s."), {"kinds": kinds})
    if p["laws"]:
        text += w.own(" ") + w.fill(w._("Laws reaching it there: %(laws)s."), {"laws": _laws(w, p["laws"], 4)})
    return text


def _copy_abroad_ended(w: Words, p: dict[str, Any], app: str) -> str:
    return w.fill(w._("%(app)s is no longer copied outside the EU/EEA (%(countries)s)."), {
        "app": app, "countries": _countries(w, p["countries"], 6)})


def _reclassified(w: Words, p: dict[str, Any], app: str) -> str:
    parts = [w.fill(w.ngettext("%(app)s: %(num)s resource holds other data than last quarter",
                               "%(app)s: %(num)s resources hold other data than last quarter", p["resources"]),
                    {"app": app}, p["resources"])]
    if p["gained"]:
        parts.append(w.fill(w._("now %(classes)s"), {"classes": w.own(w.classes(p["gained"]))}))
    if p["lost"]:
        parts.append(w.fill(w._("no longer %(classes)s"), {"classes": w.own(w.classes(p["lost"]))}))
    text = w.join_sep(parts, "; ") + w.own(".")
    if p["became_sensitive"]:
        text += w.own(" ") + w.fill(w._("The application now holds sensitive data, %(reach)s."), {
            "reach": reach_phrase(w, p["control"], p["location"])}) + _law_list(w, p["laws"])
    elif p["no_longer_sensitive"]:
        text += w.own(" ") + w.own(w._("The application no longer holds sensitive data."))
    return text


def _provider_moved(w: Words, p: dict[str, Any], app: str) -> str:
    parts = []
    if p["gained"]:
        parts.append(w.fill(w._("now also with %(providers)s"), {
            "providers": w.own(w.join([w.provider(x) for x in p["gained"]]))}))
    if p["lost"]:
        parts.append(w.fill(w._("no longer with %(providers)s"), {
            "providers": w.own(w.join([w.provider(x) for x in p["lost"]]))}))
    return w.fill(w._("%(app)s: %(change)s."), {"app": app, "change": w.join_sep(parts, "; ")})


def _keys_changed(w: Words, p: dict[str, Any], app: str) -> str:
    changes = [w.fill(w._("%(before)s → %(after)s (%(num)s)"), {
        "before": w.own(w.key_control(b)), "after": w.own(w.key_control(a)), "num": w.integer(n)})
        for b, a, n in p["changes"]]
    return w.fill(w.ngettext("%(app)s: who holds the keys changed for %(num)s resource: %(changes)s.",
                             "%(app)s: who holds the keys changed for %(num)s resources: %(changes)s.",
                             p["resources"]), {"app": app, "changes": w.join_sep(changes, "; ")}, p["resources"])


def _kb_law(w: Words, p: dict[str, Any], app: str) -> str:
    """A law added to or removed from the knowledge base, its status changed, or its facts (un)verified."""
    name = w.own(w.law(p["law"]))
    if p.get("before") is None or p.get("after") is None:
        msg = w._("Knowledge base: %(law)s was added.") if p.get("before") is None else \
            w._("Knowledge base: %(law)s was removed.")
        return w.fill(msg, {"law": name})
    if p["before"] != p["after"]:
        return w.fill(w._("Knowledge base: %(law)s is now %(after)s (it was %(before)s)."), {
            "law": name, "after": w.own(w.status(p["after"])), "before": w.own(w.status(p["before"]))})
    msg = w._("Knowledge base: the facts about %(law)s are now checked at a primary source.") \
        if p["verified_after"] else w._("Knowledge base: the facts about %(law)s could no longer be checked at "
                                        "a primary source.")
    return w.fill(msg, {"law": name})


def _kb_placement(w: Words, p: dict[str, Any], app: str) -> str:
    return w.fill(w._("Knowledge base: the region %(region)s of %(provider)s is now run by %(after)s (it was "
                      "%(before)s)."), {
        "region": w.value(p["region"]), "provider": w.own(w.provider(p["provider"])),
        "after": w.own(w.entity(p["operator_after"])), "before": w.own(w.entity(p["operator_before"]))})


#: Event kind → its wording, given the words, the event's parameters and the application's quoted name.
_EVENTS: dict[str, Callable[[Words, dict[str, Any], str], str]] = {
    "app-new": _app_new,
    "app-removed": _app_removed,
    "copy-abroad-new": _copy_abroad_new,
    "copy-abroad-ended": _copy_abroad_ended,
    "reclassified": _reclassified,
    "provider-moved": _provider_moved,
    "keys-changed": _keys_changed,
    "kb-law": _kb_law,
    "kb-placement": _kb_placement,
}


def _law_list(w: Words, laws: list[str]) -> str:
    if not laws:
        return ""
    return w.own(" ") + w.fill(w._("Laws: %(laws)s."), {"laws": _laws(w, laws, 4)})


#: Causes of a change in a headline count, as the reconciliation table names them.
CAUSES = {
    "new-application": N_("new applications"),
    "reclassified": N_("data reclassified as sensitive"),
    "new-copy-abroad": N_("new copies outside the EU/EEA"),
    "provider-moved": N_("provider changes"),
    "kb-changed": N_("changes in the knowledge base"),
    "resources-changed": N_("resources added to or removed from the application"),
    "other": N_("other changes"),
    "removed-application": N_("applications removed"),
    "declassified": N_("data no longer classified as sensitive"),
    "copy-abroad-ended": N_("copies outside the EU/EEA ended"),
    "new-resources": N_("new resources"),
    "newly-reachable": N_("existing resources newly reachable"),
    "removed-resources": N_("resources removed"),
    "no-longer-reachable": N_("resources no longer reachable"),
}

#: The headline counts, as the report names them.
INDICATORS = {
    "apps_reachable": N_("Applications with sensitive data reachable by a foreign law"),
    "apps_by_control": N_("of which through the control of the provider"),
    "apps_by_location": N_("of which through a copy abroad"),
    "apps_residual_only": N_("Reachable only through the provider's presence abroad (residual, counted apart)"),
    "resources_reachable": N_("Resources with sensitive data reachable by a foreign law"),
}


def step_label(w: Words, step: Step) -> str:
    return w.own(w.label(CAUSES, step.cause))


def finding(w: Words, template: FindingTemplate, name: str) -> str:
    """A finding's message in the reader's language.

    The rule's message is an English msgid whose parameters the scorer wrote in English (data
    class ids joined by ``/``, law ids, ``provider managed``); they are read back here and given
    in the reader's language, so the catalogue's sentence reads whole.
    """
    params = dict(template.params)
    values: dict[str, str] = {"name": w.quoted(name)}
    if "classes" in params:
        values["classes"] = w.own(w.classes([c for c in params["classes"].split("/") if c]))
    if "laws" in params:
        head, _, tail = params["laws"].partition(" and ")
        names = [w.law_short(law) for law in head.split(", ") if law]
        more = int(tail.split()[0]) if tail[:1].isdigit() else 0
        if more:
            names.append(w.count(w.ngettext("%(num)s other", "%(num)s others", more), more))
        values["laws"] = w.join_values(names)
    if "key_control" in params:
        values["key_control"] = w.own(w.key_control(params["key_control"].replace(" ", "-")))
    if "country" in params:
        values["country"] = w.own(w.country(params["country"]))
    if "note" in params:
        values["note"] = w.own(params["note"])
    text = w._(template.message)
    return w.own(text).format(**values) if w.mode == "html" else text.format(**values)
