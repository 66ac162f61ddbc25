"""Render the Code layer's editors offscreen into assets/screenshots/ (run: .venv/bin/python
scripts/code_layer_screenshots.py): its code with a typo highlighted on its line, with its arguments and
the Problem, as the inspector shows them; and the Run / Don't run prompt for a document's code."""
from screenshots import OUT  # offscreen, a fresh config folder: nothing trusted (it sets both on import)

from PySide6.QtWidgets import QApplication, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget  # noqa: E402

from netbuilder import GraphBuilder  # noqa: E402
from netbuilder.graph import trust  # noqa: E402
from netbuilder.ui.code_editor import ArgsField, CodeField  # noqa: E402
from netbuilder.ui.document import Document  # noqa: E402
from netbuilder.ui.trust_prompt import TrustDialog  # noqa: E402

TYPO = '''\
def __init__(self, beta=1.0):
    super().__init__()
    self.beta = nn.Parameter(torch.tensor(float(beta)))

def forward(self, x):
    return x * sigmoid(self.beta * x)
'''
RECEIVED = '''\
def __init__(self, in_features, out=10):
    super().__init__()
    self.proj = nn.Linear(in_features, out)

def forward(self, x):
    return self.proj(x).clamp(min=0)
'''


def settle(app) -> None:
    for _ in range(5):
        app.processEvents()


def code_layer(app) -> None:
    trust.trust([TYPO], remember=False)  # as if typed in the editor
    b = GraphBuilder()
    c = b.add("Code", b.add("Linear", b.add("Input", shape=[64]), out_features=32), name="swish", code=TYPO,
              args={"beta": 0.5})
    b.add("Output", c)
    document = Document(b.graph)
    panel = QWidget()
    column = QVBoxLayout(panel)
    column.addWidget(QLabel("<b>Code</b>"))
    form = QFormLayout()
    form.addRow("name", QLineEdit("swish"))
    form.addRow("code", CodeField(document, c))
    form.addRow("args", ArgsField(document, c))
    column.addLayout(form)
    lines = [f"✖ {p.message}" for p in document.analysis.node_problems(c)]
    column.addWidget(QLabel("output: ?\n" + "\n".join(lines)))
    column.addStretch()
    panel.resize(560, 470)
    panel.show()
    settle(app)
    panel.grab().save(str(OUT / "code_layer.png"))
    panel.close()


def prompt(app) -> None:
    dialog = TrustDialog([("proj", RECEIVED)], "model_from_a_colleague.json")
    dialog.resize(620, 400)
    dialog.show()
    settle(app)
    dialog.grab().save(str(OUT / "trust_prompt.png"))
    dialog.close()


def main() -> None:
    app = QApplication.instance() or QApplication([])
    code_layer(app)
    prompt(app)
    print("wrote", OUT / "code_layer.png", OUT / "trust_prompt.png")


if __name__ == "__main__":
    main()
