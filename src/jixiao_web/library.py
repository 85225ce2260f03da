"""The indicator library (指标库) in the database: built from what the finance bureau approved.

Every indicator row of the version the bureau received of an approved or published filing is one
:class:`LibraryUse`; the uses of one (一级, 二级, name) are summed up in one :class:`LibraryEntry`
(:func:`jixiao.library.summarise`), beside the frameworks' common indicators
(:mod:`jixiao.model.common_indicators`).  Drafts, versions waiting for review and returned versions
never count: only ``Filing.received_version`` of approved and published filings.

:func:`rebuild` builds everything again (``jixiao manage rebuild_library``); :func:`update_for` is
called by the services when a filing is approved or published and recounts only the entries it
touches.  Both lock :class:`LibraryState` and change its token, so every worker process reloads its
in-memory :class:`jixiao.library.LibraryIndex` (:func:`index`) at its next query, and nowhere else.

The functions here change data but record nothing: the services that call them do
(:func:`jixiao_web.services.rebuild_library`, :func:`jixiao_web.services.mark_library_entry`), or
they are part of an approval or publication that is recorded.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jixiao.library import (
    LibraryIndex,
    LibraryItem,
    Suggestion,
    display_name,
    indicator_key,
    plain,
    summarise,
)
from jixiao.model.common_indicators import COMMON_INDICATORS
from jixiao.model.framework import LEVEL1_NAMES, LEVEL2_NAMES, canonical_level_name, normalise_comparator
from jixiao_web.models import (
    Department,
    Filing,
    Kind,
    LibraryEntry,
    LibraryMark,
    LibraryState,
    LibraryUse,
)
from jixiao_web.workflow import TARGET

#: The filings whose received version the library counts: the approved ones (the workflow's).
COUNTED = TARGET.approved
EntryKey = tuple[str, str, str]


def _limited(text: Any, size: int) -> str:
    return str(text or "").strip()[:size]


def _rows_of(filing: Filing) -> Iterator[tuple[EntryKey, dict[str, Any]]]:
    """(entry key, use fields) of each named indicator row of the version the bureau received."""
    version = filing.received_version
    if version is None or filing.status not in COUNTED:
        return
    for indicator in version.data.get("indicators", []) or []:
        if not isinstance(indicator, dict):
            continue
        name = display_name(str(indicator.get("name") or ""))
        key = indicator_key(name)
        if not key:
            continue
        level1 = canonical_level_name(str(indicator.get("level1") or ""), LEVEL1_NAMES)
        level2 = canonical_level_name(str(indicator.get("level2") or ""), LEVEL2_NAMES)
        comparator_text = str(indicator.get("comparator") or "")
        comparator = normalise_comparator(comparator_text) if comparator_text else None
        yield (
            (level1[:30], level2[:40], key[:200]),
            {
                "filing_id": filing.pk,
                "department_id": filing.department_id,
                "year": filing.year,
                "name": name[:200],
                "unit": _limited(indicator.get("unit"), 40),
                "comparator": comparator.value if comparator else _limited(comparator_text, 20),
                "value": _limited(indicator.get("value"), 100),
            },
        )


def _lock_state() -> LibraryState:
    LibraryState.objects.get_or_create(pk=1, defaults={"token": ""})
    return LibraryState.objects.select_for_update().get(pk=1)


def _changed(state: LibraryState) -> None:
    global _checked_at
    _checked_at = 0.0  # this worker asks again at its next query
    state.token = uuid.uuid4().hex
    state.built_at = timezone.now()
    state.save(update_fields=["token", "built_at"])


def _entries_for(keys: Iterable[EntryKey]) -> dict[EntryKey, int]:
    """The entry id of each key, making the entries that do not exist yet."""
    wanted = set(keys)
    known = {
        (level1, level2, key): pk
        for pk, level1, level2, key in LibraryEntry.objects.values_list("pk", "level1", "level2", "key")
    }
    missing = [key for key in wanted if key not in known]
    if missing:
        LibraryEntry.objects.bulk_create(
            [LibraryEntry(level1=l1, level2=l2, key=key, name=key) for l1, l2, key in missing], batch_size=500
        )
        known = {
            (level1, level2, key): pk
            for pk, level1, level2, key in LibraryEntry.objects.values_list("pk", "level1", "level2", "key")
        }
    return {key: known[key] for key in wanted}


#: The columns of a use, in the order :func:`_insert_uses` writes them.
_USE_COLUMNS = ("entry_id", "filing_id", "department_id", "year", "name", "unit", "comparator", "value")


def _add_uses(filings: Iterable[Filing]) -> set[int]:
    """Store the uses of ``filings``; the ids of the entries they count for."""
    rows = [row for filing in filings for row in _rows_of(filing)]
    ids = _entries_for(key for key, _ in rows)
    _insert_uses((ids[key], fields) for key, fields in rows)
    return set(ids.values())


def _insert_uses(rows: Iterable[tuple[int, dict[str, Any]]]) -> None:
    """Write uses (entry id, fields) as multi-row INSERTs: a rebuild writes a row per indicator of
    ten years of tables, and both the ORM's ``bulk_create`` (building expressions) and
    ``executemany`` (a statement per row) spend most of their time on overhead."""
    table = connection.ops.quote_name(LibraryUse._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(column) for column in _USE_COLUMNS)
    row_marks = "(" + ", ".join(["%s"] * len(_USE_COLUMNS)) + ")"
    per_statement = min(1000, (connection.features.max_query_params or 8000) // len(_USE_COLUMNS))
    values = [(entry_id, *(fields[column] for column in _USE_COLUMNS[1:])) for entry_id, fields in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_marks] * len(chunk))}",
                [value for row in chunk for value in row],
            )


def _ensure_common() -> None:
    keys = {(c.level1, c.level2, indicator_key(c.name)) for c in COMMON_INDICATORS}
    ids = _entries_for(keys)
    LibraryEntry.objects.filter(pk__in=ids.values()).update(common=True)


def _recount(entry_ids: Iterable[int] | None) -> None:
    """Sum up the uses of the entries (all when None); drop the unused that nobody marked."""
    entries = LibraryEntry.objects.all()
    if entry_ids is not None:
        entries = entries.filter(pk__in=list(entry_ids))
    uses: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    use_rows = LibraryUse.objects.filter(entry__in=entries).values_list(
        "entry_id", "department__name", "year", "name", "unit", "comparator", "value"
    )
    for row in use_rows.iterator(chunk_size=5000):
        uses[row[0]].append(row[1:])
    common = {(c.level1, c.level2, indicator_key(c.name)): c for c in COMMON_INDICATORS}
    unused = []
    for entry in entries:
        mine = uses.get(entry.pk, [])
        if not mine and not entry.common and not entry.mark:
            unused.append(entry.pk)
            continue
        before = {name: getattr(entry, name) for name in _SUMMED_UP}
        _summed_up(entry, mine, common.get((entry.level1, entry.level2, entry.key)))
        after = {name: getattr(entry, name) for name in _SUMMED_UP}
        if after != before:  # one UPDATE per changed entry: cheaper than bulk_update's CASE WHENs
            LibraryEntry.objects.filter(pk=entry.pk).update(**after)
    LibraryEntry.objects.filter(pk__in=unused).delete()


#: The fields of an entry :func:`_summed_up` sets.
_SUMMED_UP = (
    "name",
    "usage",
    "department_count",
    "departments",
    "first_year",
    "last_year",
    "units",
    "comparators",
    "ranges",
    "unit",
    "comparator",
    "value",
    "value_is_suggestion",
)


def _summed_up(entry: LibraryEntry, uses: list[tuple[Any, ...]], common: Any) -> None:
    summary = summarise((unit, comparator, value) for _, _, _, unit, comparator, value in uses)
    departments = Counter(department for department, *_ in uses)
    years = [year for _, year, *_ in uses]
    names = Counter(name for _, _, name, *_ in uses)
    entry.usage = summary.usage
    entry.department_count = len(departments)
    entry.departments = [name for name, _ in departments.most_common()]
    entry.first_year = min(years) if years else None
    entry.last_year = max(years) if years else None
    entry.units = summary.units
    entry.comparators = summary.comparators
    entry.ranges = {
        unit: {
            "count": r.count,
            "low": plain(r.low),
            "median": plain(r.median),
            "high": plain(r.high),
        }
        for unit, r in summary.ranges.items()
    }
    if uses:
        entry.name = names.most_common(1)[0][0]
        entry.unit, entry.comparator, entry.value = summary.unit, summary.comparator, summary.value[:100]
        entry.value_is_suggestion = False
    elif common is not None:  # a framework's indicator nobody in the city used yet
        entry.name = common.name
        entry.unit, entry.comparator, entry.value = (
            common.unit,
            common.comparator.value,
            common.suggested_value,
        )
        entry.value_is_suggestion = bool(common.suggested_value)
    else:
        entry.units = entry.comparators = entry.ranges = {}
        entry.unit = entry.comparator = entry.value = ""


def _counted_filings() -> Iterator[Filing]:
    return (
        Filing.objects.filter(kind=Kind.TARGET, status__in=COUNTED, received_version__isnull=False)
        .select_related("received_version")
        .only("pk", "department_id", "year", "status", "received_version__data")
        .iterator(chunk_size=200)
    )


def rebuild() -> dict[str, int]:
    """Build the library again from every approved and published filing; marks are kept."""
    with transaction.atomic():
        state = _lock_state()
        counts = _rebuild_locked()
        _changed(state)
    return counts


def _rebuild_locked() -> dict[str, int]:
    """Everything again: entries nobody marked are made afresh, with their sums, in a few batched
    INSERTs; the marked ones and the frameworks' common ones are kept (their marks with them)
    and summed up again."""
    LibraryUse.objects.all().delete()
    LibraryEntry.objects.filter(mark="", common=False).delete()
    _ensure_common()
    department_names = dict(Department.objects.values_list("pk", "name"))
    grouped: dict[EntryKey, list[dict[str, Any]]] = defaultdict(list)
    filings = 0
    for filing in _counted_filings():
        filings += 1
        for found, fields in _rows_of(filing):
            grouped[found].append(fields)
    kept = {
        (level1, level2, key): pk
        for pk, level1, level2, key in LibraryEntry.objects.values_list("pk", "level1", "level2", "key")
    }
    fresh = []
    for (level1, level2, name_key), rows in grouped.items():
        if (level1, level2, name_key) in kept:
            continue
        entry = LibraryEntry(level1=level1, level2=level2, key=name_key)
        uses = [
            (
                department_names.get(r["department_id"], ""),
                r["year"],
                r["name"],
                r["unit"],
                r["comparator"],
                r["value"],
            )
            for r in rows
        ]
        _summed_up(entry, uses, None)
        fresh.append(entry)
    LibraryEntry.objects.bulk_create(fresh, batch_size=500)
    ids = _entries_for(grouped)
    _insert_uses((ids[entry_key], fields) for entry_key, rows in grouped.items() for fields in rows)
    _recount(kept.values())
    return {
        "filings": filings,
        "uses": LibraryUse.objects.count(),
        "entries": LibraryEntry.objects.count(),
    }


def update_for(filing: Filing) -> None:
    """Count ``filing`` (just approved or published) again: only the entries it touches change."""
    with transaction.atomic():
        state = _lock_state()
        if not state.token:  # never built: build it all (this filing included)
            _rebuild_locked()
        else:
            before = set(LibraryUse.objects.filter(filing=filing).values_list("entry_id", flat=True))
            LibraryUse.objects.filter(filing=filing).delete()
            fresh = Filing.objects.select_related("received_version").get(pk=filing.pk)
            after = _add_uses([fresh])
            _recount(before | after)
        _changed(state)


def set_mark(entry: LibraryEntry, mark: str, note: str, user: Any) -> None:
    """Store the bureau's mark (the service records it)."""
    with transaction.atomic():
        state = _lock_state()
        entry.mark = mark
        entry.note = note
        entry.marked_by = user if mark else None
        entry.marked_at = timezone.now() if mark else None
        entry.save(update_fields=["mark", "note", "marked_by", "marked_at"])
        _changed(state)


# ---------------------------------------------------------------------------------------------
# Reading: the in-memory index of each worker process

_lock = threading.Lock()
_cached: tuple[str, LibraryIndex] | None = None
_checked_at = 0.0
#: How long a worker trusts its index before asking whether the library changed.
FRESH_SECONDS = 1.0


def _item(row: dict[str, Any]) -> LibraryItem:
    return LibraryItem(
        id=row["pk"],
        level1=row["level1"],
        level2=row["level2"],
        name=row["name"],
        unit=row["unit"],
        comparator=row["comparator"],
        value=row["value"],
        value_is_suggestion=row["value_is_suggestion"],
        usage=row["usage"],
        department_count=row["department_count"],
        mark=row["mark"],
        note=row["note"],
        common=row["common"],
        key=row["key"],
    )


def index() -> LibraryIndex:
    """The library as an index, loaded again only when it changed.

    Whether it changed is asked of the database (one small query) at most once every
    :data:`FRESH_SECONDS`: another worker's change shows within that time, this worker's at once.
    """
    global _cached, _checked_at
    cached = _cached
    if cached is not None and time.monotonic() - _checked_at < FRESH_SECONDS:
        return cached[1]
    token = LibraryState.objects.filter(pk=1).values_list("token", flat=True).first()
    if not token:
        rebuild()
        token = LibraryState.objects.values_list("token", flat=True).get(pk=1)
    if cached is not None and cached[0] == token:
        _checked_at = time.monotonic()
        return cached[1]
    with _lock:
        fields = (
            "pk",
            "key",
            "level1",
            "level2",
            "name",
            "unit",
            "comparator",
            "value",
            "value_is_suggestion",
            "usage",
            "department_count",
            "mark",
            "note",
            "common",
        )
        built = LibraryIndex(_item(row) for row in LibraryEntry.objects.values(*fields))
        _cached = (token, built)
        _checked_at = time.monotonic()
    return built


def forget() -> None:
    """Drop this worker's index (tests: another test's database is another library)."""
    global _cached, _checked_at
    _cached, _checked_at = None, 0.0


def as_json(suggestion: Suggestion) -> dict[str, Any]:
    """One suggestion as the editor receives it (labels in Chinese, no codes shown)."""
    item = suggestion.item
    mark = LibraryMark(item.mark) if item.mark in LibraryMark.values else LibraryMark.NONE
    return {
        "id": item.id,
        "name": item.name,
        "level1": item.level1,
        "level2": item.level2,
        "unit": item.unit,
        "comparator": item.comparator,
        "value": item.value,
        "value_label": "建议值" if item.value_is_suggestion else ("常用值" if item.value else ""),
        "usage": item.usage,
        "department_count": item.department_count,
        "common": item.common,
        "mark": item.mark,
        "mark_label": mark.label if item.mark else "",
        "note": item.note,
    }


def suggestions(text: str, level1: str = "", level2: str = "", limit: int = 8) -> list[dict[str, Any]]:
    """Suggestions for an indicator being typed, as JSON-ready dicts."""
    return [as_json(s) for s in index().suggest(text[:100], level1[:30], level2[:40], limit)]
