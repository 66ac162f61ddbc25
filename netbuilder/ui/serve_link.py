"""Serve This Run (the run list's menu): the run's network as an HTTP service in a child process (`netbuilder serve`
on a free local port, serve/process.py), and in the status bar its address, a link that copies a curl line for
/predict, one that shows the drift report (each feature, a warning past its threshold, and "retrain with recent
data" when the data drifted), and one that stops it. One service at a time; it stops with the window, and with
the app however that ends (it reads a pipe the app holds: --stop-with-stdin)."""
from __future__ import annotations

import contextlib
import http.client
import math

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QMessageBox

from ..serve.model import refusal
from ..serve.process import ServiceProcess
from .child_link import ChildLink
from .training.run_list import run_refusal

ANSWER_SECONDS = 120  # LitServe starts a worker process that loads torch


def drift_text(report: dict) -> str:
    """GET /drift in words: the verdict, each feature (a warning sign past its threshold), the classes."""
    lines = [report.get("message", "")]
    for f in report.get("features", []):
        value = f"distance {f['distance']:.3f} (threshold {f['threshold']:.3f})" if "distance" in f else \
            f"p = {f['p_value']:.3g}"
        lines.append(f"{'⚠ ' if f['drift'] else '   '}{f['feature']}: {value}, PSI {f['psi']:.3f}")
    classes = report.get("classes")
    if classes:
        lines.append(f"{'⚠ ' if classes['drift'] else '   '}predicted classes against the training labels:"
                     f" p = {classes['p_value']:.3g}")
    return "\n".join(lines)


class ServeLink(ChildLink):
    drift = Signal(str, bool)  # the drift report in words, and whether the data drifted

    def __init__(self, parent=None):
        super().__init__("serve_link", ANSWER_SECONDS, parent)
        self.service: ServiceProcess | None = None
        self.run_name = ""
        self.curl_line = ""

    @property
    def url(self) -> str | None:
        """The service's address once it answers."""
        return self.service.url if self.service is not None and not self.waiting else None

    def serve(self, run) -> None:
        """Serve `run` (a Run), stopping the service of another run first."""
        self.stop()
        graph = run.graph()
        code = any(n.type == "Code" for n in graph.nodes())  # the app ran its code when it trained the run
        shape = next(n.params["shape"] for n in graph.nodes() if n.type == "Input")
        size = math.prod(shape)
        example = "[" + ", ".join(["0"] * min(size, 4)) + (", ..." if size > 4 else "") + "]"
        self.service = ServiceProcess(str(run.folder / "graph.json"), ["--run", str(run.folder)],
                                      extra=["--trust-code"] if code else [], log=run.folder / "serve.log")
        self.curl_line = self.service.curl(example)
        self.run_name = run.name
        self.service.start()
        self._wait(f"Starting the service of {run.name}…")

    def _check(self) -> None:
        service = self.service
        if service is None:
            self._gone()
            return
        if not service.running():
            self.stop()
            self.failed.emit(f"the service ended: {service.output()}")
            return
        if self._late():
            self.stop()
            self.failed.emit(f"the service did not answer within {ANSWER_SECONDS} s: {service.output()}")
            return
        with contextlib.suppress(OSError, http.client.HTTPException):
            if service.request("GET", "/health", timeout=0.5)[0] == 200:
                url = service.url
                self._answered(f"Serving {self.run_name}: <a href='{url}/docs'>{url}</a> &nbsp;<a href='curl'>copy"
                               " curl</a> &nbsp;<a href='drift'>drift</a> &nbsp;<a href='stop'>stop</a>",
                               f"POST {url}/predict with JSON {{\"inputs\": ...}}; also {url}/model and {url}/drift"
                               f".\n{self.curl_line}\nIt stops when this window closes.")

    def _on_link(self, link: str) -> None:
        if link == "stop":
            self.stop()
        elif link == "curl":
            QGuiApplication.clipboard().setText(self.curl_line)
        elif link == "drift":
            self.show_drift()
        else:
            QDesktopServices.openUrl(QUrl(link))

    def show_drift(self) -> None:
        """The service's drift report (GET /drift, on this machine: it answers at once)."""
        if self.url is None:
            return
        try:
            status, report = self.service.request("GET", "/drift", timeout=5)
        except (OSError, http.client.HTTPException) as e:
            self.failed.emit(f"the service did not answer: {e}")
            return
        if status != 200 or not isinstance(report, dict):
            self.failed.emit(f"the service answered {status} for its drift report")
            return
        self.drift.emit(drift_text(report), bool(report.get("drift")))

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()
            self.service = None
        self._gone()


def install(bench, run_list) -> ServeLink:
    """Serve This Run in the run list's menu; the service's entry in the status bar; stopped with the window."""
    link = ServeLink(bench.widget)
    bench.add_status_widget(link)
    link.failed.connect(lambda text: bench.show_message("Cannot serve the run", text))
    link.drift.connect(lambda text, drifted: bench.show_message(
        "Drift: retrain with recent data" if drifted else "Drift", text,
        QMessageBox.Icon.Warning if drifted else QMessageBox.Icon.Information))
    bench.widget.destroyed.connect(lambda *_: link.service is not None and link.service.stop())

    def entry(menu, state) -> None:
        run = state.run
        action = menu.addAction("Serve This Run", lambda: link.serve(run))
        action.setEnabled((run.weights() is not None or run.onnx_model() is not None) and not state.running)
        if (why := run_refusal(run, refusal)) is not None:  # said in the menu, not after starting the service
            action.setEnabled(False)
            action.setToolTip(f"Not for this run: {why}")
            menu.setToolTipsVisible(True)
    run_list.entries.append(entry)
    return link
