"""Language models: characters per second of training (the next_token recipe through the one loop, a callback
standing in for the window's channel) and of generation (train/language.py, as the Samples tab and `netbuilder
generate` write), each against a plain hand-written PyTorch loop on the same compiled network and windows, for
the two text templates (character LSTM, small GPT) on python_docs. Pairs alternate which side runs first; the
median of the ratios is printed (at least 0.97 is the target for training, as for the other recipes).
Run: .venv/bin/python bench/bench_text.py [--quick]
"""
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.nn import functional as F

from netbuilder import build_model
from netbuilder.graph.io import load
from netbuilder.layers import check_node
from netbuilder.train import Callback, TrainConfig, Trainer
from netbuilder.train.fitting import training_data
from netbuilder.train.language import TextModel

ROOT = Path(__file__).resolve().parents[1]
NAMES = ("char_lstm_python_docs", "char_transformer_python_docs")
QUICK = "--quick" in sys.argv
REPEATS = 3 if QUICK else 7
WINDOWS = 128 if QUICK else 512  # training windows per timed run (of 64 characters)
WRITE = 100 if QUICK else 300  # characters generated per timed run


class Channel(Callback):
    """Stands in for the window's channel: keeps every step."""

    def __init__(self):
        self.steps = []

    def on_step_end(self, trainer, step):
        self.steps.append(step)


def timed(fn) -> float:
    """CPU seconds of this thread (a busy machine's stolen time is not counted)."""
    t = time.thread_time()
    fn()
    return time.thread_time() - t


def plain_training(model, x, y, batch_size, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(len(x), generator=gen)
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        opt.zero_grad(set_to_none=True)
        out = model(x[idx])
        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), y[idx].reshape(-1))
        loss.backward()
        opt.step()
        loss.item()


@torch.no_grad()
def plain_writing(model, prompt_ids, length, seq_len, temperature):
    gen = torch.Generator().manual_seed(0)
    window = torch.zeros(1, seq_len, dtype=torch.long)
    window[0, -len(prompt_ids):] = prompt_ids
    for _ in range(length):
        probs = torch.softmax(model(window)[:, -1] / temperature, dim=-1)
        nxt = torch.multinomial(probs, 1, generator=gen)
        window = torch.cat([window[:, 1:], nxt], dim=1)


def bench(name):
    graph = load(ROOT / "templates" / f"{name}.json", check_node)
    settings = graph.meta["training"]
    config = TrainConfig.from_dict({**settings, "epochs": 1, "device": "cpu", "schedule": "none",
                                    "optimizer": "adam", "clip_norm": 0.0})
    data = training_data(graph, config)
    x, y = data.train[0][:WINDOWS], data.train[1][:WINDOWS]
    chars = x.numel()
    ratios, ours, theirs = [], [], []
    for repeat in range(REPEATS):
        trainer = Trainer(graph, config, (x, y), None, callbacks=[Channel()])
        model = build_model(graph)
        sides = [lambda: trainer.run(), lambda: plain_training(model, x, y, config.batch_size, config.lr)]
        times = [timed(s) for s in (sides if repeat % 2 == 0 else sides[::-1])]
        a, b = times if repeat % 2 == 0 else times[::-1]
        ours.append(chars / a)
        theirs.append(chars / b)
        ratios.append(b / a)
    print(f"{name}: training {statistics.median(ours):,.0f} chars/s, plain loop {statistics.median(theirs):,.0f};"
          f" ratio {statistics.median(ratios):.3f} (median of {REPEATS})")
    text_model = TextModel(build_model(graph).eval(), trainer.recipe.vocabulary, x.shape[1])
    prompt = text_model.vocabulary.encode("The ")
    ratios, ours, theirs = [], [], []
    for repeat in range(REPEATS):
        sides = [lambda: text_model.generate("The ", WRITE, 0.8, 0, 0),
                 lambda: plain_writing(text_model.model, prompt, WRITE, x.shape[1], 0.8)]
        times = [timed(s) for s in (sides if repeat % 2 == 0 else sides[::-1])]
        a, b = times if repeat % 2 == 0 else times[::-1]
        ours.append(WRITE / a)
        theirs.append(WRITE / b)
        ratios.append(b / a)
    print(f"{name}: generation {statistics.median(ours):,.0f} chars/s, plain loop {statistics.median(theirs):,.0f};"
          f" ratio {statistics.median(ratios):.3f} (median of {REPEATS})")


if __name__ == "__main__":
    torch.set_num_threads(1)
    for template in NAMES:
        bench(template)
