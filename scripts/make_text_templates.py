"""Write the text templates, templates/char_lstm_python_docs.json and templates/char_transformer_python_docs.json
(run: python scripts/make_text_templates.py). Both learn Python's own reference text (python_docs) with the
next_token recipe; their bar is the validation loss of a character 3-gram model on the same split, which
tests/templates/test_text_templates.py counts, not copies."""
from pathlib import Path

from netbuilder import GraphBuilder
from netbuilder.data.dataset import DataSpec
from netbuilder.train.config import TrainConfig

OUT = Path(__file__).resolve().parent.parent / "templates"
DX, DY = 260.0, 130.0
VOCAB = 104  # python_docs' training part has 103 characters, and the unknown mark


def data(seq_len):
    return DataSpec(source="python_docs", options=dict(seq_len=seq_len), val_fraction=0.1, test_fraction=0.1)


def describe(graph, name, description, seq_len, training, quality):
    assert not TrainConfig.from_dict(training).problems() and not data(seq_len).problems()
    assert quality["epochs"] == training["epochs"]
    graph.meta.update(name=name, description=description, data=data(seq_len).to_dict(), training=dict(training),
                      quality=dict(quality))
    return graph


def rows(graph, per_row=4):
    for i, node in enumerate(graph.nodes()):
        node.pos = ((i % per_row) * DX, (i // per_row) * DY)
    return graph


def char_lstm_python_docs(hidden=128, embed=32, seq_len=64):
    b = GraphBuilder()
    x = b.add("Input", name="characters", shape=[seq_len], dtype="int", vocab_size=VOCAB)
    h = b.add("Embedding", x, name="embed", num_embeddings=VOCAB, embedding_dim=embed)
    h = b.add("Recurrent", h, name="recurrent", cell="LSTM", hidden_size=hidden, returns="sequence")
    b.add("Output", b.add("Linear", h, name="next_character", out_features=VOCAB), name="scores")
    return describe(
        rows(b.graph), "Character LSTM on Python's docs",
        f"A language model: an Embedding turns each of {seq_len} characters into {embed} numbers, an LSTM reads"
        " them in order and at every position a Linear layer scores which character comes next (cross-entropy in"
        " nats per character). The Samples tab writes text from your prompt after every epoch: raise the"
        " temperature for bolder text, or switch the cell to GRU and compare.", seq_len,
        dict(recipe="next_token", optimizer="adam", lr=0.01, batch_size=32, epochs=1, loss="cross_entropy",
             clip_norm=1.0),
        dict(metric="val_loss", below_ngram=3, epochs=1,
             note="beats a character 3-gram model (1.81 nats per character on the validation part) in one epoch,"
                  " reaching about 1.66 (5 CPU seconds on one core); more epochs go lower"))


def gpt_block(seq_len, d_model=64, heads=4, feedforward=256):
    """A GPT block: causal self-attention, then a feed-forward network, each after a LayerNorm and added back."""
    b = GraphBuilder()
    x = b.add("Input", name="x", shape=[seq_len, d_model], pos=(0, 0))
    h = b.add("LayerNorm", x, name="norm1", pos=(DX, DY))
    h = b.add("MultiheadSelfAttention", h, name="attention", num_heads=heads, causal=True, pos=(2 * DX, DY))
    mid = b.add("Add", x, h, name="add1", pos=(3 * DX, 0))
    h = b.add("LayerNorm", mid, name="norm2", pos=(4 * DX, DY))
    h = b.add("Linear", h, name="widen", out_features=feedforward, pos=(5 * DX, DY))
    h = b.add("GELU", h, name="gelu", pos=(6 * DX, DY))
    h = b.add("Linear", h, name="narrow", out_features=d_model, pos=(7 * DX, DY))
    b.add("Output", b.add("Add", mid, h, name="add2", pos=(8 * DX, 0)), name="out", pos=(9 * DX, 0))
    return b


def char_transformer_python_docs(layers=2, d_model=64, seq_len=32):
    b = GraphBuilder()
    b.define("GPTBlock", gpt_block(seq_len, d_model), "A GPT block: causal self-attention (each position sees only"
             " the ones before it), then a feed-forward network, each after a LayerNorm and added back to its input")
    x = b.add("Input", name="characters", shape=[seq_len], dtype="int", vocab_size=VOCAB)
    h = b.add("Embedding", x, name="embed", num_embeddings=VOCAB, embedding_dim=d_model)
    h = b.add("PositionalEncoding", h, name="positions", kind="learned")
    h = b.add("Block", h, name="blocks", block="GPTBlock", repeat=layers)
    h = b.add("LayerNorm", h, name="final_norm")
    b.add("Output", b.add("Linear", h, name="next_character", out_features=VOCAB), name="scores")
    return describe(
        rows(b.graph), "Character Transformer on Python's docs",
        f"A small GPT: token and learned position embeddings of {d_model} numbers, the GPTBlock (used {layers}"
        " times: double-click it to see its causal attention, LayerNorms and feed-forward part), a last LayerNorm"
        " and a Linear layer scoring the next character at every position. Compare it with the character LSTM on"
        " the same text, or try more blocks, more heads, a longer window.", seq_len,
        dict(recipe="next_token", optimizer="adamw", lr=0.006, batch_size=32, epochs=2, schedule="cosine",
             loss="cross_entropy", clip_norm=1.0),
        dict(metric="val_loss", below_ngram=3, epochs=2,
             note="beats a character 3-gram model (1.81 nats per character on the validation part) in 2 epochs,"
                  " reaching about 1.55 (20 CPU seconds on one core); more epochs go lower"))


TEMPLATES = (char_lstm_python_docs, char_transformer_python_docs)

if __name__ == "__main__":
    for make in TEMPLATES:
        path = OUT / f"{make.__name__}.json"
        make().save(path)
        print("wrote", path)
