"""Models written the way people write them (as in the issue's examples), for test_capture.py. Not collected."""
import math

import torch
from torch import nn
import torch.nn.functional as F


class Checks(nn.Module):
    def __init__(self, ngpu=1, has_mask=False, block_size=16):
        super().__init__()
        self.ngpu, self.has_mask, self.block_size = ngpu, has_mask, block_size
        self.main = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))

    def forward(self, input):
        assert input.size(1) <= self.block_size, "too long"
        if len(input.size()) != 2:
            raise ValueError("expected [N, 8]")
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        if self.has_mask:
            output = output * 0
        return output


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=64):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe)

    def forward(self, x):
        return x + self.pe[:x.size(1)]


class Tagger(nn.Module):
    def __init__(self, vocab=20, dim=8):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = PositionalEncoding(dim)
        self.out = nn.Linear(dim, 51)

    def forward(self, tokens):
        x = self.pos(self.embed(tokens))
        first = torch.zeros(tokens.size(0), 51)
        return self.out(x).mean(dim=1) + first


class Noisy(nn.Module):
    """Noise drawn in forward, also when evaluating (one head: not a VAE's reparameterisation)."""
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(12, 4)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        h = self.fc(x)
        std = torch.exp(0.5 * h)
        eps = torch.randn_like(std)
        return self.head(std + eps * std), std


class Swish(nn.Module):
    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = nn.Parameter(torch.tensor(float(beta)))

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)


class WithSwish(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)
        self.act = Swish(0.5)
        self.head = nn.Linear(6, 2)

    def forward(self, x):
        return self.head(self.act(self.fc(x)))


class StateLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(5, 7, num_layers=2, batch_first=True)
        self.head = nn.Linear(7, 3)

    def forward(self, x, state):
        out, (h, c) = self.lstm(x, state)
        return self.head(out), (h, c)


class RNNModel(nn.Module):
    """word_language_model's shape: sequence first, its state given and returned."""
    def __init__(self, ntoken=30, ninp=8, nhid=10, nlayers=2):
        super().__init__()
        self.drop = nn.Dropout(0.2)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=0.2)
        self.decoder = nn.Linear(nhid, ntoken)
        self.ntoken = ntoken

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        return F.log_softmax(decoded, dim=-1), hidden


class Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return x


class Dropped(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 64)
        self.drop = nn.Dropout2d(0.3)

    def forward(self, x):
        return self.drop(self.fc(x))


from dataclasses import dataclass  # noqa: E402 - as a config object comes in a real file


@dataclass
class Config:
    width: int = 4
    hidden: int = 16


class Configured(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.up = nn.Linear(config.width, config.hidden)
        self.act = nn.GELU()
        self.down = nn.Linear(config.hidden, 2)

    def forward(self, x):
        return self.down(self.act(self.up(x)))


def make_model(width=4):
    return Configured(Config(width=width))


class InPlace(nn.Module):
    """Writes into views of a tensor in place, as mamba.py's parallel scan does."""
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        h = self.fc(x).clone()
        h[:, 1].add_(h[:, 0] * 2)
        h[:, 2:].mul_(h[:, :1])
        return torch.relu(h)


class FixedBatch(nn.Module):
    """Older code's way: the batch size given to the constructor, and forward reshaping to it."""
    def __init__(self, batch_size=2):
        super().__init__()
        self.batch_size = batch_size
        self.fc = nn.Linear(4, 6)

    def forward(self, x):
        return self.fc(x).view(self.batch_size, 2, 3).sum(1)


class LenBatch(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 6)

    def forward(self, x):
        return self.fc(x).reshape(len(x), 2, 3).sum(1)
