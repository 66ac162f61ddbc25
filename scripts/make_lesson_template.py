"""Write templates/vanishing_lesson.json: a deep sigmoid MLP next to the same depth with ReLU,
BatchNorm and residual connections, trained side by side (run: python scripts/make_lesson_template.py)."""
from pathlib import Path

from netbuilder import GraphBuilder
from netbuilder.graph.layout import layered_positions

OUT = Path(__file__).resolve().parent.parent / "templates" / "vanishing_lesson.json"
DEPTH, WIDTH = 8, 32


def lesson():
    b = GraphBuilder()
    h = b.add("Linear", b.add("Flatten", b.add("Input", name="digit_a", shape=[1, 8, 8])), name="s_in",
              out_features=WIDTH)
    for i in range(DEPTH):
        h = b.add("Sigmoid", b.add("Linear", h, name=f"s_fc{i + 1}", out_features=WIDTH), name=f"s_sig{i + 1}")
    b.add("Output", b.add("Linear", h, name="s_out", out_features=10), name="sigmoid_net")
    sigmoid_nodes = len(b.graph)
    h = b.add("Linear", b.add("Flatten", b.add("Input", name="digit_b", shape=[1, 8, 8])), name="r_in",
              out_features=WIDTH, init="kaiming")
    for i in range(DEPTH):
        x = b.add("Linear", h, name=f"r_fc{i + 1}", out_features=WIDTH, init="kaiming")
        x = b.add("ReLU", b.add("BatchNorm1d", x, name=f"r_bn{i + 1}"), name=f"r_relu{i + 1}")
        h = b.add("Add", h, x, name=f"r_add{i + 1}")
    b.add("Output", b.add("Linear", h, name="r_out", out_features=10), name="residual_net")
    graph = b.graph
    assert sigmoid_nodes < len(graph)
    for node_id, pos in layered_positions(graph).items():  # top to bottom, the networks side by side
        graph.node(node_id).pos = pos
    graph.meta.update(
        name="Vanishing gradients: a lesson",
        description="Two networks of the same depth learn the same digits side by side. The left one stacks"
                    " sigmoids: its gradient fades layer by layer toward the input, the diagnosis says so on"
                    " its first layers, and it learns slowly. The right one uses ReLU, BatchNorm and"
                    " residual connections, and its gradients stay healthy. Watch the Gradients tab, then"
                    " try swapping a sigmoid for ReLU.",
        data={"source": "digits"},
        training={"recipe": "compare", "optimizer": "sgd", "lr": 0.05, "momentum": 0.9, "epochs": 6,
                  "batch_size": 32},
        quality={"metric": "diagnosis", "note": "the diagnosis warns of vanishing gradients on the sigmoid"
                 " network and not on the residual one within 6 epochs; the residual one reaches about 95%"
                 " validation accuracy"})
    return graph


if __name__ == "__main__":
    lesson().save(OUT)
    print("wrote", OUT)
