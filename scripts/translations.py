"""The translations' tooling: extract, merge, compile and check (`make translations`).

    python scripts/translations.py extract        # sources -> messages.pot -> {de,fr}.po -> .mo
    python scripts/translations.py merge PART.po  # fill translations from a partial catalogue
    python scripts/translations.py compile        # .po -> .mo only
    python scripts/translations.py check          # what `make test` and .ci/run enforce
    python scripts/translations.py part OUT.pot FILE...   # the template of some files only
    python scripts/translations.py check-part PART.de.po FILE...  # complete for those files?

Texts are found by reading the code (`ast`), not by regular expressions: a call of `tr`,
`trn` or `N_` with a literal is a message, and one with an f-string or a `+` of literals is
refused (its words could never be looked up). `resources/collection.json` (what is and is not
collected) is read as a list of texts too. Babel writes and reads the .po/.mo files; the app
itself reads the .mo files with the standard library's gettext (docs/translations.md).

Files carry no line numbers and a fixed date, so they change only when a text does, and the
check can compare them byte for byte.
"""

from __future__ import annotations

import ast
import io
import json
import re
import string
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "peft_telemetry_gui"
TRANSLATIONS = ROOT / "resources" / "translations"
POT = TRANSLATIONS / "messages.pot"
COLLECTION = ROOT / "resources" / "collection.json"
LANGUAGES = ("de", "fr")
DOMAIN = "peft_telemetry_gui"
FIXED_DATE = datetime(2026, 12, 1, tzinfo=UTC)
KEYWORDS = {"tr": 1, "trn": 2, "N_": 1}
#: GNU gettext's plural rules. Babel follows newer CLDR data, where French has a third form
#: (for a million): translators and their tools expect these two.
PLURAL_FORMS = {"de": "nplurals=2; plural=(n != 1);", "fr": "nplurals=2; plural=(n > 1);"}


@dataclass
class Extracted:
    """Every message with where it is used, and the calls that cannot be translated."""

    messages: dict[str | tuple[str, str], list[str]] = field(default_factory=dict)
    comments: dict[str | tuple[str, str], list[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, msgid: str | tuple[str, str], where: str, comment: str = "") -> None:
        self.messages.setdefault(msgid, [])
        if where not in self.messages[msgid]:
            self.messages[msgid].append(where)
        if comment and comment not in self.comments.setdefault(msgid, []):
            self.comments[msgid].append(comment)


def _keyword(call: ast.Call) -> str | None:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name if name in KEYWORDS else None


def _translator_comment(lines: list[str], lineno: int) -> str:
    above = lines[lineno - 2].strip() if lineno >= 2 else ""
    marker = "# Translators:"
    return above.removeprefix(marker).strip() if above.startswith(marker) else ""


def _from_python(path: Path, found: Extracted, where: str = "") -> None:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    where = where or path.relative_to(ROOT).as_posix()
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if not isinstance(node, ast.Call) or (keyword := _keyword(node)) is None:
            continue
        args = node.args[: KEYWORDS[keyword]]
        at = f"{where}:{node.lineno}"
        if any(isinstance(a, ast.JoinedStr | ast.BinOp) for a in args):
            found.problems.append(f"{at}: {keyword}() of an f-string or `+`: use .format()")
            continue
        if len(args) < KEYWORDS[keyword] or not all(
            isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args
        ):
            continue  # tr(variable): a text marked elsewhere, translated where it is shown
        texts = [a.value for a in args]  # type: ignore[attr-defined]
        if not all(texts):
            found.problems.append(f"{at}: {keyword}() of an empty text")
            continue
        msgid = texts[0] if keyword != "trn" else (texts[0], texts[1])
        found.add(msgid, where, _translator_comment(lines, node.lineno))


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def extract() -> Extracted:
    found = Extracted()
    for path in sorted(PACKAGE.rglob("*.py")):
        _from_python(path, found)
    texts = json.loads(COLLECTION.read_text(encoding="utf-8"))
    texts.pop("version", None)
    for text in _strings(texts):
        found.add(text, COLLECTION.relative_to(ROOT).as_posix())
    return found


def _catalog(locale: str | None) -> Catalog:
    catalog = Catalog(
        locale=locale,
        domain=DOMAIN,
        project="peft-telemetry-gui",
        version="",
        copyright_holder="The peft_telemetry_gui developers",
        msgid_bugs_address="",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        fuzzy=False,
    )
    if locale in PLURAL_FORMS:
        headers = [(k, v) for k, v in catalog.mime_headers if k != "Plural-Forms"]
        catalog.mime_headers = [*headers, ("Plural-Forms", PLURAL_FORMS[locale])]
    return catalog


def template(found: Extracted) -> Catalog:
    catalog = _catalog(None)
    for msgid in sorted(found.messages, key=lambda m: m if isinstance(m, str) else m[0]):
        catalog.add(
            msgid,
            locations=[(where, None) for where in found.messages[msgid]],
            auto_comments=found.comments.get(msgid, []),
        )
    return catalog


def _po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, sort_output=True)
    return buffer.getvalue()


def _mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale, domain=DOMAIN)


def updated(language: str, pot: Catalog) -> Catalog:
    """`language`'s catalogue with exactly the template's messages: translations kept, new
    messages empty, removed ones dropped (no fuzzy guesses: a guess shown to a user as a
    translation is worse than English)."""
    path = TRANSLATIONS / f"{language}.po"
    old = read(path, language) if path.exists() else _catalog(language)
    new = _catalog(language)
    for message in pot:
        if not message.id:
            continue
        previous = old.get(message.id)
        new.add(
            message.id,
            string=previous.string if previous is not None and not previous.fuzzy else "",
            locations=message.locations,
            auto_comments=message.auto_comments,
        )
    return new


def _fields(text: str) -> list[str]:
    """The placeholders a translation must keep: `{name}`, `%s`/`%(name)s` and markup tags."""
    out = []
    try:
        parsed = string.Formatter().parse(text)
        out += [f"{{{name}}}" for _, name, _, _ in parsed if name is not None]
    except ValueError:
        out.append("<unbalanced braces>")
    out += re.findall(r"%(?:\([^)]*\))?[sdrif%]", text)
    out += re.findall(r"<[^>]+>", text)
    return sorted(out)


def problems(language: str, catalog: Catalog) -> list[str]:
    found = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        label = f"{language}.po: {ids[0]!r}"
        if message.fuzzy or not all(strings):
            found.append(f"{label}: not translated")
            continue
        # A plural form may follow either source form ("{n} event" / "{n} events").
        wanted = [_fields(source) for source in ids]
        for text in strings:
            if _fields(text) not in wanted:
                found.append(f"{label}: placeholders or markup differ in {text!r}")
    return found


def write_all() -> list[str]:
    found = extract()
    pot = template(found)
    POT.write_bytes(_po_bytes(pot))
    for language in LANGUAGES:
        catalog = updated(language, pot)
        (TRANSLATIONS / f"{language}.po").write_bytes(_po_bytes(catalog))
        (TRANSLATIONS / f"{language}.mo").write_bytes(_mo_bytes(catalog))
    return found.problems


def compile_all() -> None:
    for language in LANGUAGES:
        catalog = read(TRANSLATIONS / f"{language}.po", language)
        (TRANSLATIONS / f"{language}.mo").write_bytes(_mo_bytes(catalog))


def merge(parts: list[Path]) -> int:
    """Fill empty translations from partial catalogues named `<anything>.<language>.po`."""
    filled = 0
    for language in LANGUAGES:
        path = TRANSLATIONS / f"{language}.po"
        catalog = read(path, language)
        for part in (p for p in parts if p.name.endswith(f".{language}.po")):
            for message in read(part, language):
                target = catalog.get(message.id) if message.id else None
                if (
                    target is not None
                    and message.string
                    and not all(
                        target.string if isinstance(target.string, tuple) else (target.string,)
                    )
                ):
                    target.string = message.string
                    target.flags.discard("fuzzy")
                    filled += 1
        path.write_bytes(_po_bytes(catalog))
    compile_all()
    return filled


def check() -> list[str]:
    """Everything that can be out of step, one line each; empty when all is well."""
    found = extract()
    out = list(found.problems)
    pot = template(found)
    if not POT.exists() or POT.read_bytes() != _po_bytes(pot):
        out.append(f"{POT.relative_to(ROOT)} is not what the sources say: run make translations")
    for language in LANGUAGES:
        path = TRANSLATIONS / f"{language}.po"
        if not path.exists():
            out.append(f"{path.relative_to(ROOT)} is missing")
            continue
        catalog = read(path, language)
        if path.read_bytes() != _po_bytes(updated(language, pot)):
            out.append(f"{path.relative_to(ROOT)} does not match the template: make translations")
        out += problems(language, catalog)
        mo = TRANSLATIONS / f"{language}.mo"
        if not mo.exists() or mo.read_bytes() != _mo_bytes(catalog):
            out.append(f"{mo.relative_to(ROOT)} is not compiled from {path.name}")
    return out


def _only(files: list[str]) -> Extracted:
    """The messages used in `files` (paths in the repo), for a partial catalogue."""
    found, wanted = extract(), {Path(f).resolve().relative_to(ROOT).as_posix() for f in files}
    part = Extracted(problems=[p for p in found.problems if p.split(":")[0] in wanted])
    for msgid, places in found.messages.items():
        for where in places:
            if where in wanted:
                for comment in found.comments.get(msgid, []) or [""]:
                    part.add(msgid, where, comment)
    return part


def check_part(path: Path, files: list[str]) -> list[str]:
    language = path.name.split(".")[-2]
    part, catalog = _only(files), read(path, language)
    out = list(part.problems) + problems(language, catalog)
    for msgid in part.messages:
        if catalog.get(msgid) is None:
            out.append(f"{path.name}: {msgid!r} is missing")
    return out


def main(argv: list[str]) -> int:
    command, *rest = argv or ["check"]
    if command == "part":
        Path(rest[0]).write_bytes(_po_bytes(template(_only(rest[1:]))))
        return 0
    if command == "check-part":
        found = check_part(Path(rest[0]), rest[1:])
        for line in found:
            print(line, file=sys.stderr)
        print(f"{len(found)} problems", file=sys.stderr)
        return 1 if found else 0
    if command == "extract":
        for line in write_all():
            print(line, file=sys.stderr)
        return 0
    if command == "compile":
        compile_all()
        return 0
    if command == "merge":
        print(f"{merge([Path(p) for p in rest])} translations filled")
        return 0
    if command == "check":
        found = check()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
