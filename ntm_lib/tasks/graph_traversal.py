r"""Graph traversal: read the edges of a small random graph, then follow a path through it.
A task in the spirit of the DNC paper's London Underground traversal (Graves et al. 2016,
"Graph experiments"), on graphs of a few nodes.

A graph has n nodes, named by n distinct ids drawn from ``node_ids`` (so a name says nothing
about a node's place in the graph), and edges labelled with one of ``labels`` labels (the
paper's underground lines). Every node has at least one outgoing edge and at most one per
label: a nonempty set of labels is drawn uniformly, and each of its edges leads to one of the
other n - 1 nodes, drawn uniformly. A query is a start node and a walk of k hops: each hop
follows a label drawn uniformly from those leaving the node reached, so every walk exists.
After each hop the model answers with the node it has reached. Each answer is a look-up in the
graph keyed by (node reached, label): the node reached is the previous answer, so the look-ups
chain, and one wrong hop leaves the rest of the walk on the wrong path.

Encoding (a public contract: outside tools rely on it). V = ``node_ids``, L = ``labels``.
Inputs have 2 V + L + 1 channels: the source node (channels 0 .. V-1, one-hot), the label
(V .. V+L-1), the destination node (V+L .. 2V+L-1) and the query flag (2V+L).

- one step per edge, in a random order: [e(source), e(label), e(destination), 0];
- one start step: [e(start), 0, 0, 1];
- one step per hop: [0, e(label of hop i), 0, 1], whose target is e(node reached after hop i).

targets are ``(B, T, V)``, one-hot on the hop steps, zero elsewhere; mask is 1 on exactly the
hop steps. A graph with E edges and a walk of k hops takes E + 1 + k steps; sequences of
different sizes share a batch, each padded with zeros after its own last step.

             t=0 1 2 3 4 5 6        (nodes 7 and 2; edges 7 -a-> 2, 2 -a-> 7, 2 -b-> 7;
    source    7 2 2 2 . . .          start 2, hops b, a, a)
    label     a a b . b a a
    dest      2 7 7 . . . .
    query     . . . 1 1 1 1
    target    . . . . 7 2 7
    mask      . . . . 1 1 1

A wrong node costs 2 bit errors (a wrong 1 and a missing 1). ``score`` adds ``hop_accuracy``
(the fraction of hops answered with every channel right) and ``path_accuracy`` (the fraction
of walks with every hop right: the paper's measure).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from . import base
from ._checks import check_batch_size, check_int, check_override
from .base import Batch, check_lengths


@dataclass(frozen=True)
class GraphTraversalTask:
    node_ids: int = 10  # V: names for nodes; a graph has at most this many nodes
    labels: int = 3  # L: edge labels (the underground's lines)
    min_nodes: int = 3
    max_nodes: int = 6  # 3-6 nodes: 3-18 edges, 12/7 a node on average (about 10 with 6 nodes)
    min_hops: int = 1
    max_hops: int = 4

    name = "graph_traversal"

    def __post_init__(self):
        check_int("GraphTraversalTask", "node_ids", self.node_ids, minimum=2)
        check_int("GraphTraversalTask", "labels", self.labels)
        check_lengths("GraphTraversalTask (nodes)", self.min_nodes, self.max_nodes, minimum=2)
        check_lengths("GraphTraversalTask (hops)", self.min_hops, self.max_hops)
        if self.max_nodes > self.node_ids:
            raise ValueError(f"GraphTraversalTask.max_nodes ({self.max_nodes}) must be at most node_ids "
                             f"({self.node_ids}): every node needs a name of its own")

    @property
    def input_size(self) -> int:
        return 2 * self.node_ids + self.labels + 1  # source, label, destination, query flag

    @property
    def output_size(self) -> int:
        return self.node_ids

    def sample(self, batch_size: int, generator: torch.Generator, num_nodes: int | None = None,
               hops: int | None = None) -> Batch:
        """A batch with numbers of nodes and hops drawn uniformly from the task's ranges, or all
        with ``num_nodes`` (2 .. node_ids) nodes and ``hops`` (any positive integer) hops if given."""
        check_batch_size("GraphTraversalTask", batch_size)
        check_override("GraphTraversalTask", "num_nodes", num_nodes, minimum=2)
        check_override("GraphTraversalTask", "hops", hops)
        if num_nodes is not None and num_nodes > self.node_ids:
            raise ValueError(f"GraphTraversalTask.sample: num_nodes must be at most node_ids "
                             f"({self.node_ids}), got {num_nodes}")
        examples = [self._example(generator, num_nodes, hops) for _ in range(batch_size)]
        steps = max(len(e[0]) for e in examples)
        inputs = torch.zeros(batch_size, steps, self.input_size)
        targets = torch.zeros(batch_size, steps, self.output_size)
        mask = torch.zeros(batch_size, steps)
        for b, (x, y, m) in enumerate(examples):
            inputs[b, : len(x)] = x
            targets[b, : len(y)] = y
            mask[b, : len(m)] = m
        return Batch(inputs, targets, mask)

    def _example(self, generator: torch.Generator, num_nodes: int | None, hops: int | None):
        """One graph and one walk: (inputs (T, C), targets (T, V), mask (T,))."""
        V, L = self.node_ids, self.labels
        n = num_nodes if num_nodes is not None else _uniform(generator, self.min_nodes, self.max_nodes)
        k = hops if hops is not None else _uniform(generator, self.min_hops, self.max_hops)
        names = torch.randperm(V, generator=generator)[:n].tolist()
        # out[node][label] = destination (both as indices 0 .. n-1), for the labels the node has
        out: list[dict[int, int]] = []
        for node in range(n):
            subset = _uniform(generator, 1, 2 ** L - 1)  # a nonempty set of labels, as a bit mask
            edges = {}
            for label in range(L):
                if subset >> label & 1:
                    other = _uniform(generator, 0, n - 2)
                    edges[label] = other + (other >= node)  # any node but this one
            out.append(edges)
        edge_list = [(s, label, d) for s, edges in enumerate(out) for label, d in edges.items()]
        order = torch.randperm(len(edge_list), generator=generator).tolist()

        steps = len(edge_list) + 1 + k
        x = torch.zeros(steps, self.input_size)
        y = torch.zeros(steps, V)
        m = torch.zeros(steps)
        for t, i in enumerate(order):
            s, label, d = edge_list[i]
            x[t, names[s]] = 1.0
            x[t, V + label] = 1.0
            x[t, V + L + names[d]] = 1.0
        t = len(edge_list)
        node = _uniform(generator, 0, n - 1)
        x[t, names[node]] = 1.0
        x[t, 2 * V + L] = 1.0
        for t in range(len(edge_list) + 1, steps):
            choices = sorted(out[node])
            label = choices[_uniform(generator, 0, len(choices) - 1)]
            node = out[node][label]
            x[t, V + label] = 1.0
            x[t, 2 * V + L] = 1.0
            y[t, names[node]] = 1.0
            m[t] = 1.0
        return x, y, m

    def describe(self, batch: Batch, index: int = 0, logits: Tensor | None = None) -> str:
        """Sequence ``index`` of a batch in words: its edges as "7 -a-> 2" (labels a, b, c, ...)
        in the order presented, in lines of at most 80 characters, then the start node and each
        hop with the node it reaches. With a model's ``logits`` (B, T, V), each hop also gives
        the node answered (the one channel with a logit above 0, "?" for none or several)."""
        V, L = self.node_ids, self.labels
        x, mask = batch.inputs[index], batch.mask[index]
        name = lambda labels: "abcdefghijklmnopqrstuvwxyz"[int(labels.argmax())]  # noqa: E731
        edges, lines = [], []
        for t in range(x.shape[0]):
            if x[t].sum() == 0:
                continue
            if x[t, -1] == 0:
                edges.append(f"{int(x[t, :V].argmax())} -{name(x[t, V:V + L])}-> "
                             f"{int(x[t, V + L:2 * V + L].argmax())}")
            elif mask[t] == 0:
                lines.append(f"start at {int(x[t, :V].argmax())}")
            else:
                hop = f"  {name(x[t, V:V + L])}: {int(batch.targets[index, t].argmax())}"
                if logits is not None:
                    chosen = (logits[index, t] > 0).nonzero()[:, 0]
                    hop += f"  (answered {int(chosen[0]) if len(chosen) == 1 else '?'})"
                lines.append(hop)
        listed = ["edges:"]  # lines of at most 80 characters, never breaking inside an edge
        for i, edge in enumerate(edges):
            item = f" {edge}" + ("," if i < len(edges) - 1 else "")
            if len(listed[-1]) + len(item) > 80:
                listed.append("      ")
            listed[-1] += item
        return "\n".join(listed + lines)

    def followed_edges(self, batch: Batch) -> Tensor:
        """For each hop step, the step at which the edge it follows was presented (the edge from
        the node reached so far with the hop's label); -1 on every other step. (B, T), long.
        With it a trace can say whether a read at a hop found the slot written with that edge."""
        V, L = self.node_ids, self.labels
        source, label, query = batch.inputs[..., :V], batch.inputs[..., V:V + L], batch.inputs[..., -1]
        followed = torch.full(batch.mask.shape, -1, dtype=torch.long)
        for b in range(batch.inputs.shape[0]):
            node = None
            for t in range(batch.inputs.shape[1]):
                if query[b, t] == 1 and source[b, t].sum() == 1:  # the start step
                    node = int(source[b, t].argmax())
                elif batch.mask[b, t] == 1:  # a hop
                    hop = int(label[b, t].argmax())
                    match = (query[b] == 0) & (source[b, :, node] == 1) & (label[b, :, hop] == 1)
                    followed[b, t] = int(match.nonzero()[0, 0])
                    node = int(batch.targets[b, t].argmax())
        return followed


def _uniform(generator: torch.Generator, low: int, high: int) -> int:
    """An integer drawn uniformly from [low, high]."""
    return int(torch.randint(low, high + 1, (1,), generator=generator))


def score(logits: Tensor, batch: Batch) -> dict[str, float]:
    """``tasks.base.score`` plus ``hop_accuracy`` (the fraction of hops answered with every
    channel right) and ``path_accuracy`` (the fraction of walks with every hop right)."""
    result = base.score(logits, batch)
    with torch.no_grad():
        wrong = ((logits > 0).to(batch.targets.dtype) != batch.targets).any(-1).float() * batch.mask  # (B, T)
        result["hop_accuracy"] = (1 - wrong.sum() / batch.mask.sum()).item()
        result["path_accuracy"] = (wrong.sum(-1) == 0).float().mean().item()
    return result
