"""The CLI in the user's language: argparse's own words and ours, as a real process shows them.

Real subprocesses: the language comes from the environment a process starts with, and
`translate_argparse` is called once per process by the CLI's `main`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = (sys.executable, "-m", "peft_telemetry_gui.cli")


def run(data_dir: Path, *args: str, **language: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env.update(language)
    return subprocess.run(
        [*CLI, *args],
        env={**env, "PEFT_TELEMETRY_DIR": str(data_dir), "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


GERMAN = {"LANGUAGE": "de", "LANG": "de_DE.UTF-8"}
FRENCH = {"LANG": "fr_FR.UTF-8"}


def test_help_in_german(data_dir: Path) -> None:
    result = run(data_dir, "--help", **GERMAN)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # argparse's own words ...
    assert out.startswith("Aufruf: peft-telemetry")
    assert "Optionen:" in out and "Positionsargumente:" in out
    assert "diese Hilfe anzeigen und beenden" in out
    assert "Versionsnummer des Programms anzeigen und beenden" in out
    # ... and ours: the description, each command's help, the options' help
    assert "Lokal gespeicherte Telemetrie ansehen, steuern, exportieren und löschen." in out
    assert "Telemetrie ausschalten" in out and "maschinenlesbare Ausgabe" in out
    assert "BEFEHL" in out
    # command and option names stay as they are typed
    assert "status" in out and "--data-dir" in out and "--json" in out
    assert "show this help message" not in out and "usage:" not in out


def test_subcommand_help_in_german(data_dir: Path) -> None:
    result = run(data_dir, "export", "--help", **GERMAN)
    assert result.returncode == 0, result.stderr
    assert "alles Gespeicherte in eine Datei schreiben (0600)" in result.stdout
    assert "{json,csv,rollups-csv}" in result.stdout  # the choices are typed, not translated


def test_mistyped_command_gives_one_german_line_and_exit_2(data_dir: Path) -> None:
    result = run(data_dir, "stauts", **GERMAN)
    assert result.returncode == 2
    err = result.stderr
    assert "Traceback" not in err and err.count("\n") == 1
    assert err.startswith("peft-telemetry: Fehler: Argument BEFEHL: ungültige Auswahl: 'stauts'")
    assert "(siehe 'peft-telemetry --help')" in err
    assert result.stdout == ""


def test_a_bad_value_names_the_option_in_german(data_dir: Path) -> None:
    result = run(data_dir, "limits", "--max-events", "x", **GERMAN)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Argument --max-events: 'x' ist keine ganze Zahl" in result.stderr


def test_a_command_speaks_german_but_json_stays_as_it_is(data_dir: Path) -> None:
    result = run(data_dir, "status", **GERMAN)
    assert result.returncode == 0, result.stderr
    assert "Telemetrie: noch nicht entschieden (es wird nichts aufgezeichnet)" in result.stdout
    assert "Datenordner:" in result.stdout
    machine = run(data_dir, "status", "--json", **GERMAN)
    assert machine.returncode == 0 and '"enabled": false' in machine.stdout
    assert "Telemetrie" not in machine.stdout


def test_french_from_lang_alone(data_dir: Path) -> None:
    result = run(data_dir, "--help", **FRENCH)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("usage\u00a0: peft-telemetry")
    assert "afficher ce message d'aide et quitter" in out
    assert "Consulter, contrôler, exporter et supprimer la télémétrie stockée localement." in out
    mistyped = run(data_dir, "stauts", **FRENCH)
    assert mistyped.returncode == 2 and "Traceback" not in mistyped.stderr
    assert mistyped.stderr.startswith("peft-telemetry\u00a0: erreur\u00a0: argument COMMANDE")
    assert "choix invalide" in mistyped.stderr


@pytest.mark.parametrize(
    "language",
    [{"LANG": "C"}, {"LANGUAGE": "de", "LANG": "C"}, {"LANG": "C.UTF-8"}],
    ids=["C", "LANGUAGE-ignored-under-C", "C.UTF-8"],
)
def test_the_c_locale_gives_english(data_dir: Path, language: dict[str, str]) -> None:
    result = run(data_dir, "--help", **language)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: peft-telemetry")
    assert "See, control, export and delete locally stored telemetry." in result.stdout
    assert "show this help message and exit" in result.stdout
    mistyped = run(data_dir, "stauts", **language)
    assert mistyped.returncode == 2
    assert mistyped.stderr.startswith("peft-telemetry: error: argument COMMAND: invalid choice")


def test_catalogue_shows_a_hosts_own_translation_of_its_descriptions(data_dir: Path) -> None:
    from peft_telemetry_gui.core.catalogue import parse_catalogue, stored_record
    from peft_telemetry_gui.core.store import Store

    catalogue = {
        "version": "1",
        "events": {"export_done": {"category": "usage", "description": "An export finished"}},
        "translations": {"de": {"An export finished": "Ein Export ist fertig"}},
    }
    store = Store(data_dir)
    record = stored_record(parse_catalogue(catalogue), app_version="1", now=store.clock())
    store.update(lambda doc: doc.catalogues.__setitem__("PEFT Studio", record))

    german = run(data_dir, "catalogue", **GERMAN)
    assert german.returncode == 0, german.stderr
    assert "Ein Export ist fertig" in german.stdout
    french = run(data_dir, "catalogue", **FRENCH)  # no French from the host: its English
    assert "An export finished" in french.stdout and "Ein Export" not in french.stdout


def test_json_output_is_the_same_in_every_language(data_dir: Path) -> None:
    """`--json` is for scripts: its texts (a scrub's summary, a preview's note) stay English."""
    english = run(data_dir, "--json", "scrub", "mail me at someone@example.org", LANG="C")
    german = run(data_dir, "--json", "scrub", "mail me at someone@example.org", **GERMAN)
    assert german.returncode == english.returncode == 0, german.stderr
    assert german.stdout == english.stdout


def test_status_shows_what_is_collected_in_german(data_dir: Path) -> None:
    """The "what is collected" texts (resources/collection.json) are translated too."""
    result = run(data_dir, "status", **GERMAN)
    assert result.returncode == 0, result.stderr
    assert "Welche Funktionen Sie nutzen" in result.stdout
    assert "Passwörter, Zugriffstoken, API-Schlüssel oder Cookies" in result.stdout
    assert "Which features you use" not in result.stdout
