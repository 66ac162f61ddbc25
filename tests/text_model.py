"""A small character language model on a short text (a GRU over 12 characters), for the tests of what a
language model's run writes: in the terminal (generate), in its folder (pictures) and in the Samples tab."""
from netbuilder import GraphBuilder
from netbuilder.data.dataset import DataSpec

TEXT = "the cat sat on the mat. the dog sat on the log. " * 30


def text_model(folder, **training):
    """The network, its data the file cats.txt written in `folder`; `training` added to its settings."""
    (folder / "cats.txt").write_text(TEXT, encoding="utf-8")
    vocab = len(set(TEXT)) + 1
    b = GraphBuilder()
    x = b.add("Input", name="characters", shape=[12], dtype="int", vocab_size=vocab)
    h = b.add("Recurrent", b.add("Embedding", x, num_embeddings=vocab, embedding_dim=8), cell="GRU", hidden_size=24)
    b.add("Output", b.add("Linear", h, out_features=vocab, name="next_character"))
    b.graph.meta["data"] = DataSpec(source=str(folder / "cats.txt"), options={"seq_len": 12, "stride": 3},
                                    val_fraction=0.2, test_fraction=0.1).to_dict()
    b.graph.meta["training"] = {"recipe": "next_token", "lr": 0.02, "batch_size": 32, **training}
    return b.graph
