"""Owners as things: one canonical key per owner, aliases recorded by `owners merge|rename`, and
the one owner matching every filter uses (`status --owner`, `agenda --owner`, subscriptions,
feed tokens, feed URLs).

The key of a name folds what does not make it another body: traditional and simplified script
(`市北區` = `市北区`), full-width letters and digits, spaces and quotes; letter case is kept
(`CON` is not `con`). `我区`/`本区` (`我市`, `本县`…) stand for the region the document speaks for:
the place of that level its milestones name most (`市北区` in a 市北区 plan). An alias maps the key
of an old name to the owner it now is; aliases apply to stored milestones (their owner is
rewritten, with a line in the history) and to every later ingest or import.

A filter TEXT selects the owner whose key is TEXT's (through the aliases): `--owner 市北區`
is 市北区 with its variants. When no owner has that key, every owner whose key contains it:
`--owner 市北` is 市北区, 市北区住建局 ….
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, false, func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from scheduler.errors import NotFound, UsageError
from scheduler.store.tables import Milestone, StatusChange


class OwnerAlias(SQLModel, table=True):
    """`name` (any spelling whose key is `key`) is now the owner `target`."""

    __tablename__ = "owner_aliases"
    key: str = Field(primary_key=True, max_length=255)
    name: str
    target: str
    how: str = Field(default="merge", max_length=16)      # merge | rename
    created_at: dt.datetime


SELF = re.compile(r"^[我本](省|市|区|县|州|旗|镇|乡|街道)$")
FOLD = {0x3000: 0x20, **{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}}
DROP = re.compile(r"[\s\"'“”‘’「」『』《》·•]+")


def _t2s():
    from scheduler.extract.clean import _t2s as converter

    return converter()


def key(name: str | None) -> str:
    """The canonical key of a name: simplified script, ASCII folded, no spaces
    or quotes (case kept). The same function for stored owners, aliases and every filter."""
    if not name:
        return ""
    text = _t2s().convert(name.translate(FOLD))
    return DROP.sub("", text)


def simplified(text: str) -> str:
    return _t2s().convert(text.translate(FOLD))


@dataclass
class Group:
    """One owner: the name shown, its counts by status and every spelling stored for it."""

    key: str
    name: str = ""
    counts: Counter = field(default_factory=Counter)
    spellings: Counter = field(default_factory=Counter)     # raw name → milestones
    members: set = field(default_factory=set)               # (raw name, document id)
    aliases: set = field(default_factory=set)               # names merged into it or renamed

    @property
    def variants(self) -> list[str]:
        return sorted({*self.spellings, *self.aliases} - {self.name})


@dataclass
class Model:
    groups: dict[str, Group]
    aliases: dict[str, OwnerAlias]
    regions: dict[tuple[str, str], str]      # (document, level) → region name

    def follow(self, k: str) -> str:
        seen = set()
        while k in self.aliases and k not in seen:
            seen.add(k)
            k = key(self.aliases[k].target)
        return k

    def group_key(self, owner: str, doc: str | None) -> str:
        k = key(owner)
        level = SELF.match(simplified(owner))
        if level and doc is not None:
            region = self.regions.get((doc, level.group(1)))
            if region:
                k = key(region)
        return self.follow(k)

    def select(self, text: str) -> list[Group]:
        """The groups a filter TEXT means: the one with its key, else all containing it."""
        typed = key(text)
        if not typed:
            return []
        exact = self.groups.get(self.follow(typed))
        if exact is not None:
            return [exact]
        return [g for g in self.groups.values()
                if typed in g.key or any(typed in key(s) for s in g.spellings)]


def _regions(pairs) -> dict[tuple[str, str], str]:
    """For each document and level (区, 市 …), the place of that level its milestones name most."""
    from scheduler.extract import gazetteer

    tally: dict[tuple[str, str], Counter] = {}
    for owner, doc, n in pairs:
        name = simplified(owner)
        if SELF.match(name) or len(name) < 2:
            continue
        level = name[-1] if name.endswith(("省", "市", "区", "县", "州", "旗", "镇", "乡")) else (
            "街道" if name.endswith("街道") else None)
        if level is None:
            continue
        if gazetteer.is_place(name):
            tally.setdefault((doc, level), Counter())[owner] += n
    return {k: c.most_common(1)[0][0] for k, c in tally.items()}


_CACHE: dict = {}
_LOCK = threading.Lock()


def model(engine: Engine) -> Model:
    """The owners of the store, grouped by canonical key (cached until a milestone or an alias
    changes)."""
    with Session(engine) as session:
        stamp = tuple(str(v) for v in session.exec(
            select(func.count(), func.max(Milestone.updated_at))).one())
        stamp += tuple(str(v) for v in session.exec(
            select(func.count(OwnerAlias.key), func.max(OwnerAlias.created_at))).one())
        cache_key = (str(engine.url), id(engine))
        with _LOCK:
            hit = _CACHE.get(cache_key)
        if hit and hit[0] == stamp:
            return hit[1]
        rows = session.exec(select(Milestone.owner, Milestone.document_id, Milestone.status, func.count())
                            .where(Milestone.owner.is_not(None))
                            .group_by(Milestone.owner, Milestone.document_id, Milestone.status)).all()
        aliases = {a.key: a for a in session.exec(select(OwnerAlias))}
    per_pair = Counter()
    for owner, doc, _state, n in rows:
        per_pair[(owner, doc)] += n
    found = Model({}, aliases, _regions((o, d, n) for (o, d), n in per_pair.items()))
    for owner, doc, state, n in rows:
        k = found.group_key(owner, doc)
        group = found.groups.setdefault(k, Group(k))
        group.counts[state] += n
        group.spellings[owner] += n
        group.members.add((owner, doc))
    targets = {key(a.target): a.target for a in aliases.values()}
    for alias in aliases.values():
        group = found.groups.get(found.follow(alias.key))
        if group is not None:
            group.aliases.add(alias.name)
    for group in found.groups.values():
        plain = [s for s in group.spellings if not SELF.match(simplified(s))] or list(group.spellings)
        # the name an alias points to; else the most used spelling, simplified script first
        group.name = targets.get(group.key) or max(
            plain, key=lambda s: (group.spellings[s], simplified(s) == s, -len(s), s))
    with _LOCK:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[cache_key] = (stamp, found)
    return found


def where(engine: Engine, text: str | None):
    """The SQL condition on milestones for an owner filter, or None for no filter. A filter that
    matches no owner matches no milestone."""
    if not text:
        return None
    return clause(model(engine).select(text))


def clause(groups: list[Group]):
    plain, selfish = set(), {}
    for group in groups:
        for owner, doc in group.members:
            if SELF.match(simplified(owner)):
                selfish.setdefault(owner, set()).add(doc)
            else:
                plain.add(owner)
    parts = []
    if plain:
        parts.append(Milestone.owner.in_(sorted(plain)))
    for owner, docs in sorted(selfish.items()):
        parts.append(and_(Milestone.owner == owner, Milestone.document_id.in_(sorted(docs))))
    return or_(*parts) if parts else false()


def listing(engine: Engine) -> list[Group]:
    return sorted(model(engine).groups.values(), key=lambda g: g.name)


def aliased(session: Session) -> dict[str, str]:
    """key of an old name → the owner it now is, for ingest and import."""
    found = {a.key: a.target for a in session.exec(select(OwnerAlias))}
    out = {}
    for k in found:
        seen, target = set(), found[k]
        while key(target) in found and key(target) not in seen:
            seen.add(key(target))
            target = found[key(target)]
        out[k] = target
    return out


def apply(aliases: dict[str, str], owner: str | None) -> str | None:
    if not owner or not aliases:
        return owner
    return aliases.get(key(owner), owner)


@dataclass
class Renamed:
    old: str
    new: str
    milestones: int
    aliases: list[str]       # the names recorded as aliases of the new one


def rename(engine: Engine, old: str, new: str, how: str, now: dt.datetime, by: str = "cli") -> Renamed:
    """`merge`: the owner `old` (with its variants) becomes the existing owner `new`.
    `rename`: the owner `old` gets the new name `new` (no owner may have it yet).
    Stored milestones are rewritten (one history line each); the alias keeps later ingests and
    imports of `old` as `new`."""
    new = " ".join(new.split())
    if not new:
        raise UsageError("the new owner name is empty")
    found = model(engine)
    source = found.groups.get(found.follow(key(old)))
    if source is None:
        near = ", ".join(g.name for g in found.select(old)[:5])
        raise NotFound(f"no owner {old!r}" + (f" (did you mean: {near}?)" if near else ""))
    target = found.groups.get(found.follow(key(new)))
    if how == "merge" and target is None:
        raise NotFound(f"no owner {new!r} to merge into (to give {old!r} a new name: owners rename)")
    if how == "rename" and target is not None and target is not source:
        raise UsageError(f"owner {target.name!r} exists: to put them together, owners merge {old} {target.name}")
    if target is source and set(source.spellings) == {new}:
        raise UsageError(f"{old!r} is already {new!r}")     # (市北區 → 市北区 rewrites the spellings)
    spellings = sorted(source.spellings)
    with Session(engine) as session, session.begin():
        stored = {a.key: a for a in session.exec(select(OwnerAlias))}
        gone = stored.pop(key(new), None)
        if gone is not None:
            session.delete(gone)          # the new name is a name of its own again
        for alias in stored.values():     # older names of the source follow it
            if found.follow(key(alias.target)) == source.key:
                alias.target = new
                session.add(alias)
        names = {}
        for name in (source.name, *spellings, old):      # one alias per key
            if not (SELF.match(simplified(name)) or key(name) == key(new)):
                names.setdefault(key(name), name)
        for name in names.values():
            row = stored.get(key(name)) or OwnerAlias(key=key(name), name=name, target=new,
                                                      how=how, created_at=now)
            row.target, row.how, row.created_at = new, how, now
            session.add(row)
        members = [and_(Milestone.owner == o, Milestone.document_id == d) for o, d in source.members]
        changed = 0
        for start in range(0, len(members), 200):
            for ms in session.exec(select(Milestone).where(or_(*members[start:start + 200]))):
                if ms.owner == new:
                    continue
                session.add(StatusChange(milestone_id=ms.id, at=now, by=by, from_status=ms.status,
                                         to_status=ms.status, why=f"owner {ms.owner} → {new} ({how})"))
                ms.owner = new
                ms.sequence += 1
                ms.updated_at = now
                session.add(ms)
                changed += 1
    return Renamed(source.name, new, changed, sorted(names.values()))
