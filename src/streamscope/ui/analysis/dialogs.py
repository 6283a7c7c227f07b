"""The analysis dialogs: forecast settings, the model endpoint and a derived stream's kind.

Each asks and returns what was chosen (None when cancelled); applying it is the caller's.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from streamscope.core.analysis.derived import KINDS, DerivedSpec
from streamscope.core.analysis.forecast import ForecastConfig
from streamscope.core.analysis.llm import LLMSettings


def _ok_cancel(dlg: QDialog, form: QFormLayout) -> bool:
    """Add OK / Cancel below ``form`` and run ``dlg``; True if accepted."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.accepted.connect(dlg.accept)
    buttons.rejected.connect(dlg.reject)
    form.addRow(buttons)
    return dlg.exec() == QDialog.DialogCode.Accepted


def ask_forecast_config(parent: QWidget, cfg: ForecastConfig) -> ForecastConfig | None:
    """New forecast settings, starting from ``cfg``; raises ``ValueError`` on a bad mix."""
    dlg = QDialog(parent)
    dlg.setWindowTitle("Forecast settings")
    form = QFormLayout(dlg)
    samples = QSpinBox()
    samples.setRange(3, 1_000_000)
    samples.setValue(cfg.samples)
    horizon = QDoubleSpinBox()
    horizon.setRange(0.1, 3600)
    horizon.setValue(cfg.horizon)
    horizon.setSuffix(" s")
    degree = QSpinBox()
    degree.setRange(0, 3)
    degree.setValue(cfg.degree)
    form.addRow("Fit on the last (samples)", samples)
    form.addRow("Forecast ahead", horizon)
    form.addRow("Polynomial degree (1 = line)", degree)
    if not _ok_cancel(dlg, form):
        return None
    return ForecastConfig(samples.value(), horizon.value(), degree.value())


def ask_llm_settings(parent: QWidget, s: LLMSettings) -> LLMSettings | None:
    """A model endpoint, starting from ``s`` (the key is shown masked)."""
    dlg = QDialog(parent)
    dlg.setWindowTitle("Model endpoint")
    form = QFormLayout(dlg)
    endpoint = QLineEdit(s.endpoint)
    endpoint.setPlaceholderText("off — e.g. http://127.0.0.1:11434/v1")
    model = QLineEdit(s.model)
    key = QLineEdit(s.api_key)
    key.setEchoMode(QLineEdit.EchoMode.Password)
    key.setPlaceholderText("optional; not saved in layouts")
    timeout = QDoubleSpinBox()
    timeout.setRange(1, 600)
    timeout.setValue(s.timeout)
    timeout.setSuffix(" s")
    form.addRow("OpenAI-compatible endpoint", endpoint)
    form.addRow("Model", model)
    form.addRow("API key", key)
    form.addRow("Timeout", timeout)
    if not _ok_cancel(dlg, form):
        return None
    return LLMSettings(endpoint.text().strip(), model.text().strip() or "local-model",
                       key.text(), timeout.value())  # fmt: skip


def ask_derived_spec(parent: QWidget, source: str) -> DerivedSpec | None:
    """Which derivation of ``source`` (and over what window, for the windowed kinds)."""
    kinds = list(KINDS)
    label, ok = QInputDialog.getItem(
        parent, "Derived stream", f"From {source}:", [KINDS[k] for k in kinds], 1, False
    )
    if not ok:
        return None
    kind = kinds[[KINDS[k] for k in kinds].index(label)]
    window = 1.0
    if kind != "derivative":
        window, ok = QInputDialog.getDouble(
            parent, "Derived stream", "Window (seconds):", 1.0, 0.001, 3600.0, 3
        )
        if not ok:
            return None
    return DerivedSpec(source, kind, window)
