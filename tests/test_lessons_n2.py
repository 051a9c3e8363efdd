"""Lessons 19 (embeddings-sequences) and 20 (attention), worked as a learner would: the mistakes
people really make get a verdict that names them, and other correct idioms than the reference's
pass. `ptref-tutor lint` proves the solutions, starters, hard-coded answers and mutants; this file
holds the answers lint cannot invent."""

from __future__ import annotations

import pytest

from lessontools import check, session  # noqa: F401 - session is a fixture


def failing_messages(verdict) -> str:
    return " ".join(c.message for c in verdict.checks if not c.passed) + " " + verdict.summary


REVIEW_MODEL = """
class ReviewClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 16, padding_idx=PAD)
        self.lstm = nn.LSTM(16, 32, batch_first=True)
        self.head = nn.Linear(32, 2)

    def forward(self, tokens, lengths):
        {forward}

torch.manual_seed(0)
model = ReviewClassifier().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
loader = DataLoader(TensorDataset(train_tokens, train_lengths, train_labels), batch_size=32,
                    shuffle=True, generator=torch.Generator().manual_seed(0))
for epoch in range(2):
    for tokens, lengths, labels in loader:
        optimizer.zero_grad()
        F.cross_entropy(model(tokens.to(device), lengths), labels.to(device)).backward()
        optimizer.step()
model.eval()
with torch.no_grad():
    test_acc = (model(test_tokens.to(device), test_lengths).argmax(1).cpu() == test_labels).float().mean().item()
"""

NAN_ROWS = """
import math
import torch

def masked_attention(q, k, v, allowed):
    scores = (q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))).masked_fill(~allowed, {fill})
    weights = scores.softmax(dim=-1){after_softmax}
    return {result}
"""

WRONG = [
    # (exercise, a mistake people make, a phrase the verdict must say)
    ("embeddings-sequences/lookup-table",
     "import torch.nn.functional as F\nvectors = emb(ids)\nby_rows = emb.weight[ids]\n"
     "by_one_hot = F.one_hot(ids).float() @ emb.weight\n",
     "cannot be multiplied"),
    ("embeddings-sequences/which-rows-learn",
     "from torch import nn\nemb = nn.Embedding(8, 3).to(device)\nvectors = emb(ids)\nvectors.sum().backward()\n"
     "grad = emb.weight.grad\nused_rows = (grad != 0).any(dim=1)\n",
     "padding_idx"),
    ("embeddings-sequences/pad-and-mask",
     "from torch.nn.utils.rnn import pad_sequence\npadded = pad_sequence(sentences, padding_value=PAD)\n"
     "lengths = torch.tensor([len(s) for s in sentences])\nmask = padded != PAD\n",
     "sequence-first default"),
    ("embeddings-sequences/pack-an-lstm",
     "from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence\n"
     "packed = pack_padded_sequence(embedded, lengths, batch_first=True)\n"
     "packed_out, (h_n, c_n) = lstm(packed)\noutput, out_lengths = pad_packed_sequence(packed_out, batch_first=True)\n",
     "enforce_sorted=False"),
    ("embeddings-sequences/last-real-step",
     "def last_real(output, lengths):\n    return output[:, lengths - 1]\n",
     "should have shape"),
    ("embeddings-sequences/pitfall-mean-over-padding",
     "def sentence_vectors(vectors, mask):\n    return vectors.sum(dim=1) / mask.sum(dim=1, keepdim=True)\n",
     "zero the padded positions"),
    ("embeddings-sequences/ignore-index",
     "import torch.nn.functional as F\nfrom torch import nn\n"
     "loss = nn.CrossEntropyLoss(ignore_index=PAD)(logits.transpose(1, 2), targets)\n"
     "per_token = F.cross_entropy(logits.transpose(1, 2), targets, reduction='none')\n"
     "manual = (per_token * mask).mean()\n",
     "padding included"),
    ("embeddings-sequences/review-classifier",
     REVIEW_MODEL.format(forward="return self.head(self.lstm(self.embed(tokens))[1][0][-1])"),
     "padded further"),
    ("attention/einsum-puzzles",
     "import torch\ndef batch_matmul(a, b):\n    return a @ b\ndef outer_product(u, v):\n"
     "    return torch.einsum('i,j->ij', u, v)\ndef matrix_trace(m):\n    return torch.einsum('ii->', m)\n"
     "def bilinear(x, W, y):\n    return torch.einsum('bn,nm,bm->b', x, W, y)\n"
     "def attention_scores(q, k):\n    return torch.einsum('bhld,bhsd->bhls', q, k)\n",
     "`batch_matmul` should compute its result with one `torch.einsum` call"),
    ("attention/attention-by-hand",
     "import torch\ndef attention(q, k, v):\n    weights = (q @ k.transpose(-2, -1)).softmax(dim=-1)\n"
     "    return weights @ v, weights\n",
     "check the scale"),
    ("attention/causal-mask",
     "import torch\nimport torch.nn.functional as F\n"
     "out_causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)\n"
     "causal_mask = torch.ones(L, L, dtype=torch.bool, device=device).triu(1)\n"
     "out_bool = F.scaled_dot_product_attention(q, k, v, attn_mask=causal_mask)\n"
     "additive = torch.zeros(L, L, device=device).masked_fill(causal_mask, float('-inf'))\n"
     "out_additive = F.scaled_dot_product_attention(q, k, v, attn_mask=additive)\n",
     "`tril`, not `triu`"),
    ("attention/padding-mask",
     "import torch\nimport torch.nn.functional as F\nkey_real = torch.arange(L, device=device) < lengths[:, None]\n"
     "attn_mask = key_real[:, None, :, None]\nout = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)\n",
     "LAST (key) axis"),
    ("attention/pitfall-nan-rows",
     NAN_ROWS.format(fill="float('-inf')", after_softmax="", result="(weights @ v).nan_to_num(0.0)"),
     "too late"),
    ("attention/pitfall-nan-rows",
     NAN_ROWS.format(fill="torch.finfo(q.dtype).min", after_softmax="", result="weights @ v"),
     "large negative number"),
    ("attention/multihead-shapes",
     "import torch\npad_mask = torch.arange(5, device=device) < lengths[:, None]\n"
     "out, weights = mha(x, x, x, key_padding_mask=pad_mask)\n"
     "head_weights = mha(x, x, x, key_padding_mask=pad_mask, average_attn_weights=False)[1]\n"
     "xs = x.transpose(0, 1)\nout_seq_first = mha_seq_first(xs, xs, xs, key_padding_mask=pad_mask)[0].transpose(0, 1)\n",
     "is PADDING"),
    ("attention/layer-norm",
     "def layer_norm(x, weight, bias, eps=1e-5):\n"
     "    return (x - x.mean(-1, keepdim=True)) / (x.var(-1, keepdim=True) + eps).sqrt() * weight + bias\n",
     "unbiased=False"),
]

RIGHT = [
    # (exercise, a correct answer written otherwise than the reference)
    ("embeddings-sequences/lookup-table",
     "import torch\nimport torch.nn.functional as F\nvectors = emb(ids)\n"
     "by_rows = emb.weight.index_select(0, ids.flatten()).view(2, 4, 4)\n"
     "by_one_hot = torch.matmul(F.one_hot(ids, num_classes=emb.num_embeddings).to(emb.weight.dtype), emb.weight)\n"),
    ("embeddings-sequences/pad-and-mask",
     "from torch.nn.utils.rnn import pad_sequence\npadded = pad_sequence(sentences, batch_first=True)\n"
     "lengths = torch.tensor([s.numel() for s in sentences])\nmask = padded != PAD\n"),
    ("embeddings-sequences/last-real-step",
     "def last_real(output, lengths):\n    index = (lengths - 1).view(-1, 1, 1).expand(-1, 1, output.size(2))\n"
     "    return output.gather(1, index).squeeze(1)\n"),
    ("embeddings-sequences/pitfall-mean-over-padding",
     "def sentence_vectors(vectors, mask):\n    summed = vectors.masked_fill(~mask[..., None], 0).sum(1)\n"
     "    return summed / mask.sum(1)[:, None]\n"),
    ("embeddings-sequences/ignore-index",
     "import torch.nn.functional as F\nV = logits.size(-1)\n"
     "loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=PAD)\n"
     "per_token = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction='none').view(targets.shape)\n"
     "manual = per_token[mask].sum() / mask.sum()\n"),
    ("attention/einsum-puzzles",
     "from torch import einsum\ndef batch_matmul(a, b):\n    return einsum('zij,zjk->zik', a, b)\n"
     "def outer_product(u, v):\n    return einsum('i,j', u, v)\ndef matrix_trace(m):\n    return einsum('ii', m)\n"
     "def bilinear(x, W, y):\n    return einsum('bi,ij,bj->b', x, W, y)\n"
     "def attention_scores(q, k):\n    return einsum('...ld,...sd->...ls', q, k)\n"),
    ("attention/attention-by-hand",
     "import torch\ndef attention(q, k, v):\n"
     "    weights = torch.softmax(torch.einsum('...ld,...sd->...ls', q, k) * q.shape[-1] ** -0.5, dim=-1)\n"
     "    return weights @ v, weights\n"),
    ("attention/causal-mask",
     "import torch\nimport torch.nn.functional as F\n"
     "out_causal = F.scaled_dot_product_attention(q, k, v, is_causal=True)\n"
     "i = torch.arange(q.size(-2), device=device)\ncausal_mask = i[None, :] <= i[:, None]\n"
     "out_bool = F.scaled_dot_product_attention(q, k, v, attn_mask=causal_mask)\n"
     "additive = torch.where(causal_mask, 0.0, float('-inf'))\n"
     "out_additive = F.scaled_dot_product_attention(q, k, v, attn_mask=additive)\n"),
    ("attention/pitfall-nan-rows",
     NAN_ROWS.format(fill="float('-inf')", after_softmax=".nan_to_num()", result="weights @ v")),
    ("attention/pitfall-nan-rows",
     NAN_ROWS.format(fill="float('-inf')",
                     after_softmax="\n    weights = torch.where(allowed.any(dim=-1, keepdim=True), weights, 0.0)",
                     result="weights @ v")),
    ("attention/layer-norm",
     "import torch\ndef layer_norm(x, weight, bias, eps=1e-5):\n"
     "    var, mean = torch.var_mean(x, dim=-1, correction=0, keepdim=True)\n"
     "    return (x - mean) * torch.rsqrt(var + eps) * weight + bias\n"),
]


@pytest.mark.parametrize("exercise_id, code, phrase", WRONG, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(WRONG)])
def test_a_real_mistake_fails_with_a_message_that_names_it(session, exercise_id, code, phrase):
    verdict = check(session, exercise_id, code)
    assert not verdict.passed
    assert phrase in failing_messages(verdict)


@pytest.mark.parametrize("exercise_id, code", RIGHT, ids=[f"{e}-{i}" for i, (e, _) in enumerate(RIGHT)])
def test_another_correct_idiom_passes(session, exercise_id, code):
    verdict = check(session, exercise_id, code)
    assert verdict.passed, failing_messages(verdict)


def test_a_review_model_that_packs_its_batch_passes(session):
    forward = ("packed = pack_padded_sequence(self.embed(tokens), lengths.cpu(), batch_first=True, "
               "enforce_sorted=False)\n        return self.head(self.lstm(packed)[1][0][-1])")
    verdict = check(session, "embeddings-sequences/review-classifier", REVIEW_MODEL.format(forward=forward))
    assert verdict.passed, failing_messages(verdict)
