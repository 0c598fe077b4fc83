"""The user's language: one gettext catalogue for the app, the CLI and the texts they show.

Why gettext and not Qt's `tr`: the CLI and the core are Qt-free, and one mechanism must cover
both (docs/translations.md). The sources are `resources/translations/{de,fr}.po`, compiled to
the `.mo` files shipped beside them (`make translations`; a test keeps the two in step).

Which language: the environment, as gettext reads it (LANGUAGE, a colon list, then LC_ALL,
LC_MESSAGES, LANG; C/POSIX means untranslated), so `LANGUAGE=de` or `LANG=fr_FR.UTF-8` select
it. The app's View -> Language sets PEFT_TELEMETRY_LANGUAGE for its own process (it wins over
the locale, even a C one), which switches every later `tr` call at once; nothing of ours keeps a
current language (the environment is the state, as it is for gettext). `pseudo` is a
pseudo-locale: every translatable text comes back in brackets with its letters accented, so a
test can find the texts that never went through `tr`.

Marking: `tr("text")` translates now; `trn(singular, plural, n)` picks the plural form;
`N_("text")` only marks a constant for extraction, translated where it is shown.
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from .paths import resources_dir

__all__ = [
    "LANGUAGE_NAMES",
    "N_",
    "OVERRIDE_VARIABLE",
    "PSEUDO",
    "SOURCE_LANGUAGE",
    "TRANSLATED",
    "active_language",
    "catalogue_path",
    "in_source_language",
    "language_code",
    "number",
    "number_separators",
    "requested_languages",
    "tr",
    "translate_argparse",
    "translations_dir",
    "trn",
]

SOURCE_LANGUAGE = "en"
#: The complete translations shipped (`resources/translations/<code>.po`).
TRANSLATED = ("de", "fr")
PSEUDO = "pseudo"
#: As each language calls itself: how the View -> Language menu lists them.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français"}
PSEUDO_OPEN, PSEUDO_CLOSE = "⟦", "⟧"
_LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")
#: The user's own choice in the app (View -> Language), ahead of the locale's.
OVERRIDE_VARIABLE = "PEFT_TELEMETRY_LANGUAGE"


def translations_dir() -> Path:
    """The repo's `resources/translations`, or the installed copy."""
    return resources_dir() / "translations"


def catalogue_path(language: str) -> Path:
    return translations_dir() / f"{language}.mo"


def language_code(value: str) -> str:
    """`de_DE.UTF-8@euro` -> `de`; `C`/`POSIX`/empty -> ""."""
    value = value.strip()
    if not value or value in ("C", "POSIX") or value.startswith(("C.", "C@")):
        return ""
    return value.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()


def requested_languages(environ: Mapping[str, str]) -> list[str]:
    """The languages the user asks for, best first, as gettext reads the environment.

    LANGUAGE counts only when the locale itself is set and not C/POSIX (GNU gettext ignores it
    otherwise), except that a LANGUAGE naming `pseudo` always counts: it is set on purpose.
    The app's own choice (OVERRIDE_VARIABLE) comes first, whatever the locale."""
    chosen = language_code(environ.get(OVERRIDE_VARIABLE, ""))
    if chosen:
        return [chosen, *(c for c in requested_languages({**environ, OVERRIDE_VARIABLE: ""}))]
    locale = next((environ.get(n, "") for n in _LOCALE_VARS if environ.get(n, "").strip()), "")
    base = language_code(locale)
    listed = [language_code(part) for part in environ.get("LANGUAGE", "").split(":")]
    listed = [code for code in listed if code]
    if PSEUDO in listed[:1]:
        return [PSEUDO]
    if not base:
        return []
    return [*listed, base] if listed else [base]


def active_language(environ: Mapping[str, str] | None = None) -> str:
    """The language texts are shown in: the first requested one shipped, else the source.

    What a consent receipt records as the locale the user saw ("de", not the "de_AT" asked
    for; "en" when Spanish was asked for and English shown)."""
    for code in requested_languages(os.environ if environ is None else environ):
        if code in (SOURCE_LANGUAGE, PSEUDO, *TRANSLATED):
            return code
    return SOURCE_LANGUAGE


#: Placeholders, markup and entities stay as they are; the letters around them are swapped.
_UNTOUCHED = re.compile(r"(\{[^{}]*\}|%\([^)]*\)[a-z]|%[a-z%]|<[^>]*>|&[a-z]+;)")
_PSEUDO_LETTERS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "áƀçďéƒğĥíĵķľɱñóþʠŕšţúṽŵẋýžÁƁÇĎÉƑĞĤÍĴĶĽṀÑÓƤǪŔŠŢÚṼŴẊÝŽ",
)


#: (thousands, decimal) as each language writes numbers: 1,234.5 / 1.234,5 / 1 234,5.
_SEPARATORS = {"de": (".", ","), "fr": ("\u202f", ",")}


def number_separators(language: str | None = None) -> tuple[str, str]:
    """The thousands and the decimal separator of the language shown (or `language`)."""
    return _SEPARATORS.get(language or active_language(), (",", "."))


def number(value: float, spec: str = "") -> str:
    """`format(value, spec)` as the user's language writes it: `number(1234.5, ",.1f")` is
    "1,234.5" in English, "1.234,5" in German, "1 234,5" in French. A German reader takes
    "1,000" for one; every number in a translated text goes through here (`tr(...).format`)."""
    text = format(value, spec)
    thousands, decimal = number_separators()
    if (thousands, decimal) == (",", "."):
        return text
    return text.translate({ord(","): thousands, ord("."): decimal})


class _Number:
    """A number handed to a translated text's `format`: formatted by `number`."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __format__(self, spec: str) -> str:
        return number(self.value, spec)

    def __str__(self) -> str:
        return number(self.value)

    def __repr__(self) -> str:
        return repr(self.value)


def _localized(value: object) -> object:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return _Number(value) if is_number else value  # type: ignore[arg-type]


class _Text(str):
    """A translated text: its `format` writes numbers as the user's language does."""

    __slots__ = ()

    def format(self, *args: object, **kwargs: object) -> str:
        return str.format(
            self, *map(_localized, args), **{k: _localized(v) for k, v in kwargs.items()}
        )


class _Pseudo(gettext.NullTranslations):
    """Bracketed and every letter swapped for an accented one ("⟦Éẋþóŕţ…⟧"): a piece of a
    translated text (a sentence split around its input fields) still reads as translated,
    and a plain ASCII word on screen can only be one that skipped `tr`."""

    def gettext(self, message: str) -> str:
        parts = _UNTOUCHED.split(message)
        swapped = "".join(
            part if i % 2 else part.translate(_PSEUDO_LETTERS) for i, part in enumerate(parts)
        )
        return f"{PSEUDO_OPEN}{swapped}{PSEUDO_CLOSE}"

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.gettext(msgid1 if n == 1 else msgid2)


@lru_cache(maxsize=8)
def _catalogue(language: str) -> gettext.NullTranslations:
    """The shipped catalogue, read once per language (the files are package data: they do not
    change while the program runs). A missing or broken file shows the source text."""
    if language == PSEUDO:
        return _Pseudo()
    if language in TRANSLATED:
        try:
            with catalogue_path(language).open("rb") as file:
                return gettext.GNUTranslations(file)
        except (OSError, ValueError, UnicodeDecodeError):
            pass
    return gettext.NullTranslations()


def tr(message: str) -> str:
    """`message` in the user's language (the source text when there is no translation)."""
    if not message:  # gettext's "" is the catalogue's header, never a text to show
        return message
    return _Text(_catalogue(active_language()).gettext(message))


def trn(singular: str, plural: str, n: int) -> str:
    """The plural form for `n` in the user's language: `trn("{n} event", "{n} events", n)`."""
    return _Text(_catalogue(active_language()).ngettext(singular, plural, n))


@contextmanager
def in_source_language() -> Iterator[None]:
    """Texts in the source language while inside: machine-readable output (the CLI's `--json`)
    is the same whatever the reader's language, so a script parsing it keeps working."""
    before = os.environ.get(OVERRIDE_VARIABLE)
    os.environ[OVERRIDE_VARIABLE] = SOURCE_LANGUAGE
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(OVERRIDE_VARIABLE, None)
        else:
            os.environ[OVERRIDE_VARIABLE] = before


def N_(message: str) -> str:
    """Marks a constant for extraction only; it is translated (`tr`) where it is shown."""
    return message


#: argparse's own words a user of `--help` or a mistyped command reads (Python 3.11-3.13 spell
#: them alike). Marked here so they are extracted and translated with ours.
ARGPARSE_TEXTS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"),
    N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("not allowed with argument %s"),
    N_("one of the arguments %s is required"),
    N_("ignored explicit argument %r"),
    N_("unexpected option string: %s"),
    N_("can't open '%(filename)s': %(error)s"),
)


def translate_argparse() -> None:
    """Routes argparse's own words ("usage:", "options", "error:") through `tr`.

    argparse looks them up with the standard library's `gettext.gettext`, in gettext's global
    domain; pointing that domain at ours would need the LC_MESSAGES folder layout. A program's
    composition root (the CLI's and the app's `main`, never the library a host imports) calls
    this before it builds its parser; calling it again changes nothing."""
    import argparse

    argparse._ = tr  # type: ignore[attr-defined]
    argparse.ngettext = trn  # type: ignore[attr-defined]
