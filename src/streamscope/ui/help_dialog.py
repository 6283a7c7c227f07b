"""Help ▸ Getting started (F1): how to send data to this running app, and every shortcut.

Why: a user of the desktop bundle has neither the README nor PROTOCOL.md at hand. What they
need is the address this app listens on, a snippet that works as pasted, and the keys, taken
from the live actions so the list is never out of date.
"""

from __future__ import annotations

import html

from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from streamscope.ui.chart_dock import CHART_SHORTCUTS, ChartDock

PYTHON_EXAMPLE = """\
import asyncio, json, math, time
import websockets  # pip install websockets

async def main():
    try:
        async with websockets.connect("{url}") as ws:
            # names this script's session in the Streams panel
            await ws.send(json.dumps({{"type": "hello", "name": "MyScript"}}))
            t0 = time.time()
            while True:
                t = time.time() - t0
                packet = {{"streamId": "sine", "timestamp": t, "value": math.sin(t)}}
                await ws.send(json.dumps(packet))
                await asyncio.sleep(0.01)
    except websockets.ConnectionClosed:
        print("StreamScope closed the connection")
    except OSError as e:
        print(f"StreamScope is not listening at {url}: {{e}}")

try:
    asyncio.run(main())
except KeyboardInterrupt:  # Ctrl+C
    pass
"""


def shortcut_rows(window: QWidget) -> list[tuple[str, str, str]]:
    """(where, what, keys) for every action with a shortcut in the window, chart keys once."""
    rows: dict[tuple[str, str], str] = {}
    for act in window.findChildren(QAction):
        if not act.shortcuts() or isinstance(act.parent(), ChartDock):
            continue
        keys = ", ".join(
            k.toString(QKeySequence.SequenceFormat.NativeText) for k in act.shortcuts()
        )
        rows[("Window", act.text().replace("&", "").rstrip("…. "))] = keys
    for text, key, _ in CHART_SHORTCUTS:
        rows[("Chart with the focus", text)] = QKeySequence(key).toString(
            QKeySequence.SequenceFormat.NativeText
        )
    return sorted(((w, t, k) for (w, t), k in rows.items()), key=lambda r: (r[0] != "Window", r))


def help_html(url: str, rows: list[tuple[str, str, str]]) -> str:
    esc = html.escape
    table = "".join(
        f"<tr><td>{esc(what)}</td><td><b>{esc(keys)}</b></td><td>{esc(where)}</td></tr>"
        for where, what, keys in rows
    )
    return f"""
<h3>Send data</h3>
<p>This app listens on <b>{esc(url)}</b>. Any WebSocket client can send JSON text frames:
one object or an array of them, such as the Unity packet
<code>{{"streamId": "fps", "timestamp": 12.5, "value": 59.9}}</code>
(no timestamp: the arrival time is used). Streams appear on the left; drag one onto the chart
area to plot it.</p>
<p><b>From Unity:</b> add the package <code>unity/com.streamscope.client</code>
(Window ▸ Package Manager ▸ + ▸ Add package from disk, pick its <code>package.json</code>),
press Play, and open Window ▸ StreamScope in the editor for the connection state.</p>
<p><b>From Python</b> (<i>Copy example</i> below puts this on the clipboard):</p>
<pre>{esc(PYTHON_EXAMPLE.format(url=url))}</pre>
<p>Batches, columnar arrays, binary frames, sessions and commands: see PROTOCOL.md in the
source repository.</p>
<h3>Keyboard shortcuts</h3>
<table cellspacing="0" cellpadding="3">{table}</table>
"""


class HelpDialog(QDialog):
    def __init__(self, window: QWidget, url: str) -> None:
        super().__init__(window)
        self.setWindowTitle("Getting started with StreamScope")
        self.resize(640, 720)
        self.example = PYTHON_EXAMPLE.format(url=url)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setHtml(help_html(url, shortcut_rows(window)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy example")
        copy.setToolTip("Put the Python example on the clipboard")
        copy.clicked.connect(self.copy_example)
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.text)
        lay.addWidget(buttons)

    def copy_example(self) -> None:
        QGuiApplication.clipboard().setText(self.example)
