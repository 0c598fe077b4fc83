"""The Privacy page's "Test the scrubber" box, typed into as a user would.

Real widgets on the real page, the explanation computed on the box's worker thread. Secret-
looking values are generated from a seeded RNG or obviously fake.
"""

from __future__ import annotations

import random
import string

from PySide6.QtCore import QModelIndex, Qt

from peft_telemetry_gui.gui.scrub_tester import EMPTY_TEXT, INTRO, ScrubTesterModel

RNG = random.Random(2026)
AWS_ID = "AKIA" + "".join(RNG.choice(string.ascii_uppercase + "234567") for _ in range(16))
EMAIL = "carol.doe@example.com"


def _box(make_window, store):
    return make_window(store).pages["privacy"].scrub_tester


def _rules(box) -> list[str]:
    model = box.findings
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def _settled(box) -> bool:
    return box.model.result is not None and not box.model.busy


def test_typing_shows_scrubbed_text_and_rules(qtbot, make_window, store) -> None:
    box = _box(make_window, store)
    assert box.summary.text() == EMPTY_TEXT and box.output.isHidden()
    assert INTRO in [w.text() for w in box.findChildren(type(box.summary))]

    box.input.setFocus()
    qtbot.keyClicks(box.input, f"mail {EMAIL} with key {AWS_ID}")
    qtbot.waitUntil(lambda: _settled(box), timeout=5000)

    shown = box.output.toPlainText()
    assert shown.startswith("mail [email] with key [token")
    assert AWS_ID not in shown and EMAIL not in shown
    assert box.output.isReadOnly() and not box.output.isHidden()
    assert {rule.partition(":")[0] for rule in _rules(box)} == {"email", "token"}
    removed = [box.findings.index(r, 3).data() for r in range(box.findings.rowCount())]
    assert sorted(removed) == sorted([EMAIL, AWS_ID])
    assert box.summary.text().startswith("Read as free text: removed ")
    for widget in (box.input, box.output, box.table, box.summary):
        assert widget.accessibleName()

    # Cleared: back to the empty state, no stale table.
    box.input.clear()
    qtbot.waitUntil(lambda: box.summary.text() == EMPTY_TEXT, timeout=2000)
    assert box.findings.rowCount() == 0 and box.output.isHidden()


def test_nothing_typed_is_stored(qtbot, make_window, store) -> None:
    box = _box(make_window, store)
    qtbot.keyClicks(box.input, f'{{"owner": "{EMAIL}"}}')
    qtbot.waitUntil(lambda: _settled(box), timeout=5000)
    assert box.model.result.kind == "properties"
    assert "owner" in [box.findings.index(r, 2).data() for r in range(box.findings.rowCount())]
    for path in store.data_dir.rglob("*"):
        if path.is_file():
            assert EMAIL.encode() not in path.read_bytes(), path


def test_typing_fast_shows_only_the_latest(qtbot, make_window, store) -> None:
    box = _box(make_window, store)
    seen: list = []
    box.model.result_changed.connect(seen.append)
    qtbot.keyClicks(box.input, f"first {EMAIL}")
    box.input.selectAll()
    qtbot.keyClicks(box.input, f"second {AWS_ID}")
    qtbot.waitUntil(lambda: _settled(box), timeout=5000)
    assert box.output.toPlainText().startswith("second [token")
    assert [r.output.split()[0] for r in seen] == ["second"]  # the pause merged the keystrokes


def test_a_stale_result_never_overwrites_a_newer_one(qtbot) -> None:
    """Two requests both started: the first one's result arrives first and must be dropped."""
    model = ScrubTesterModel(debounce_ms=10_000)
    try:
        seen: list = []
        model.result_changed.connect(seen.append)
        model.set_text(f"old {EMAIL} " * 200)
        model.flush()
        model.set_text(f"new {AWS_ID}")
        model.flush()
        qtbot.waitUntil(lambda: model.result is not None and not model.busy, timeout=5000)
        qtbot.wait(50)  # anything else still queued would have arrived by now
        assert [r.output.split()[0] for r in seen] == ["new"]
        assert model.result.output.startswith("new [token")
    finally:
        model.shutdown()
        model.deleteLater()


def test_table_model_headers_and_tooltips(qtbot, make_window, store) -> None:
    box = _box(make_window, store)
    long_value = "fake" + "".join(RNG.choice(string.ascii_lowercase) for _ in range(96))
    box.input.setPlainText(f'{{"password": "{long_value}"}}')
    box.model.flush()
    qtbot.waitUntil(lambda: _settled(box), timeout=5000)
    headers = [box.findings.headerData(c, Qt.Orientation.Horizontal) for c in range(4)]
    assert headers == ["Rule", "What it is", "Where", "Removed"]
    cell = box.findings.index(0, 3)
    assert len(cell.data()) == 60 and "…" in cell.data()
    assert cell.data(Qt.ItemDataRole.ToolTipRole) == long_value
    assert box.findings.rowCount(box.findings.index(0, 0)) == 0
    assert box.findings.data(QModelIndex()) is None
