"""Graph traversal: the encoding decoded back into a graph and a walk and checked against a slow
walk over that graph; the graph's rules (names, labels, no self-loops, every node leaves);
sizes, overrides, mixed batches, determinism, validation, scoring."""

import pytest
import torch
from torch.testing import assert_close

from ntm_lib.tasks.graph_traversal import GraphTraversalTask, score

V, L = 10, 3


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def decode(task, inputs, targets, mask):
    """One sequence back into (edges {(source, label): destination}, start, labels, answers),
    node names as ids, by reading the channels; checks the layout of every step on the way."""
    V, L = task.node_ids, task.labels
    source, label, dest, query = inputs[:, :V], inputs[:, V:V + L], inputs[:, V + L:2 * V + L], inputs[:, -1]
    edges, start, hops, answers = {}, None, [], []
    for t in range(inputs.shape[0]):
        if inputs[t].sum() == 0:  # padding
            assert mask[t] == 0 and targets[t].sum() == 0
            continue
        if query[t] == 0:  # an edge: one source, one label, one destination, nothing to answer
            assert start is None, "edges come before the query"
            assert source[t].sum() == label[t].sum() == dest[t].sum() == 1 and mask[t] == 0
            key = (int(source[t].argmax()), int(label[t].argmax()))
            assert key not in edges, "at most one edge per node and label"
            edges[key] = int(dest[t].argmax())
        elif start is None:  # the start step: a node, nothing to answer
            assert source[t].sum() == 1 and label[t].sum() == dest[t].sum() == 0 and mask[t] == 0
            start = int(source[t].argmax())
        else:  # a hop: a label in, the node reached out
            assert label[t].sum() == 1 and source[t].sum() == dest[t].sum() == 0
            assert mask[t] == 1 and targets[t].sum() == 1
            hops.append(int(label[t].argmax()))
            answers.append(int(targets[t].argmax()))
    assert targets[mask == 0].sum() == 0
    return edges, start, hops, answers


def walk(edges, start, hops):
    """Slow reference: follow the labels from the start node."""
    node, reached = start, []
    for label in hops:
        node = edges[(node, label)]
        reached.append(node)
    return reached


def test_sizes_and_defaults():
    task = GraphTraversalTask()
    assert task.name == "graph_traversal"
    assert (task.node_ids, task.labels, task.min_nodes, task.max_nodes, task.min_hops, task.max_hops) == (
        10, 3, 3, 6, 1, 4)
    assert (task.input_size, task.output_size) == (2 * V + L + 1, V)


def test_encoding_by_hand():
    """The docstring's picture, read off a real sample: 2 nodes, edges first, then start and hops."""
    task = GraphTraversalTask(node_ids=V, labels=2, min_nodes=2, max_nodes=2)
    batch = task.sample(1, gen(1), hops=3)
    edges, start, hops, answers = decode(task, batch.inputs[0], batch.targets[0], batch.mask[0])
    nodes = {s for s, _ in edges}
    assert len(nodes) == 2 and start in nodes
    assert all(d in nodes and d != s for (s, _), d in edges.items()), "two nodes: each edge leads to the other"
    assert answers == walk(edges, start, hops)
    steps = len(edges) + 1 + 3
    assert batch.inputs.shape == (1, steps, 2 * V + 3)
    assert_close(batch.mask[0], torch.tensor([0.0] * (len(edges) + 1) + [1.0] * 3))
    assert answers[0] != start and answers[1] == start, "with two nodes every hop crosses over"


def test_mixed_batch_matches_slow_walk():
    task = GraphTraversalTask()
    batch = task.sample(64, gen(5))
    assert batch.inputs.dtype == batch.targets.dtype == batch.mask.dtype == torch.float32
    sizes, lengths = set(), set()
    for b in range(64):
        edges, start, hops, answers = decode(task, batch.inputs[b], batch.targets[b], batch.mask[b])
        nodes = {s for s, _ in edges}
        assert task.min_nodes <= len(nodes) <= task.max_nodes, "every node has an edge out"
        assert all(d in nodes and d != s for (s, _), d in edges.items()), "no self-loops, no strangers"
        assert start in nodes and task.min_hops <= len(hops) <= task.max_hops
        assert answers == walk(edges, start, hops)
        sizes.add(len(nodes))
        lengths.add(len(hops))
    assert sizes == {3, 4, 5, 6} and lengths == {1, 2, 3, 4}
    longest = max(int(batch.inputs[b].abs().sum(-1).nonzero().max()) + 1 for b in range(64))
    assert batch.inputs.shape[1] == longest, "padded to the longest sequence, no further"


def test_graph_statistics():
    """Labels are drawn as a uniform nonempty subset (on average L 2^(L-1) / (2^L - 1) = 12/7 edges
    a node), names uniformly from the ids, destinations uniformly from the other nodes."""
    task = GraphTraversalTask()
    batch = task.sample(400, gen(7), num_nodes=5, hops=2)
    edges_per_node = batch.inputs[:, :, :V].sum((1, 2)) - 1  # minus the start step
    assert_close(edges_per_node.mean(), torch.tensor(5 * 12 / 7), atol=0.15, rtol=0)
    names = batch.inputs[:, :, :V].amax(1)  # (B, V): which ids the graph uses
    assert_close(names.sum(-1), torch.full((400,), 5.0))
    assert_close(names.mean(0), torch.full((V,), 0.5), atol=0.1, rtol=0)


def test_overrides_fix_the_sizes():
    task = GraphTraversalTask()
    batch = task.sample(20, gen(3), num_nodes=10, hops=8)
    assert_close(batch.mask.sum(-1), torch.full((20,), 8.0))
    for b in range(20):
        edges, start, hops, answers = decode(task, batch.inputs[b], batch.targets[b], batch.mask[b])
        assert len({s for s, _ in edges}) == 10 and answers == walk(edges, start, hops)


def test_determinism_and_private_randomness():
    task = GraphTraversalTask()
    torch.manual_seed(0)
    before = torch.get_rng_state()
    a = task.sample(8, gen(11))
    assert torch.equal(torch.get_rng_state(), before), "only the given generator is used"
    b = task.sample(8, gen(11))
    c = task.sample(8, gen(12))
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not torch.equal(a.inputs, c.inputs) if a.inputs.shape == c.inputs.shape else True


@pytest.mark.parametrize("settings, message", [
    (dict(max_nodes=11), "at most node_ids"),
    (dict(min_nodes=1), "2 <= min <= max"),
    (dict(min_hops=3, max_hops=2), "1 <= min <= max"),
    (dict(labels=0), "labels must be an integer >= 1"),
])
def test_bad_settings_say_what_was_expected(settings, message):
    with pytest.raises(ValueError, match=message):
        GraphTraversalTask(**settings)


def test_bad_sample_arguments_say_what_was_expected():
    task = GraphTraversalTask()
    with pytest.raises(ValueError, match="num_nodes must be at most node_ids"):
        task.sample(2, gen(), num_nodes=11)
    with pytest.raises(ValueError, match="hops must be an integer >= 1"):
        task.sample(2, gen(), hops=0)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        task.sample(0, gen())


def test_score_counts_hops_and_paths():
    task = GraphTraversalTask()
    batch = task.sample(4, gen(2), num_nodes=4, hops=3)
    perfect = batch.targets * 20 - 10
    result = score(perfect, batch)
    assert result["bit_errors"] == 0 and result["hop_accuracy"] == 1 and result["path_accuracy"] == 1
    wrong = perfect.clone()
    hop = batch.mask[0].nonzero()[0, 0]
    wrong[0, hop] = torch.roll(wrong[0, hop], 1)  # sequence 0 names the wrong node at its first hop
    result = score(wrong, batch)
    assert result["bit_errors"] == pytest.approx(2 / 4)
    assert result["hop_accuracy"] == pytest.approx(11 / 12)
    assert result["path_accuracy"] == pytest.approx(3 / 4)


def test_followed_edges_point_at_the_edge_each_hop_takes():
    task = GraphTraversalTask()
    batch = task.sample(32, gen(9))
    followed = task.followed_edges(batch)
    assert followed.dtype == torch.long and followed.shape == batch.mask.shape
    assert ((followed >= 0) == (batch.mask == 1)).all(), "an edge for every hop, none elsewhere"
    for b in range(32):
        edges, start, hops, answers = decode(task, batch.inputs[b], batch.targets[b], batch.mask[b])
        node = start
        for t, label, answer in zip(batch.mask[b].nonzero()[:, 0].tolist(), hops, answers):
            e = int(followed[b, t])
            assert e < t and batch.inputs[b, e, -1] == 0, "an edge step, before the hop"
            assert int(batch.inputs[b, e, :V].argmax()) == node
            assert int(batch.inputs[b, e, V:V + L].argmax()) == label
            assert int(batch.inputs[b, e, V + L:2 * V + L].argmax()) == answer
            node = answer


def test_describe_lists_edges_and_hops_in_words():
    task = GraphTraversalTask()
    batch = task.sample(2, gen(3), num_nodes=6, hops=3)
    edges, start, hops, answers = decode(task, batch.inputs[1], batch.targets[1], batch.mask[1])
    text = task.describe(batch, 1)
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("start at"))
    listed = " ".join(line.strip() for line in lines[:at])
    assert listed.startswith("edges: ") and len(listed[7:].split(", ")) == len(edges)
    assert all(line.rstrip(",").split(", ")[-1].count(" ") == 2 for line in lines[:at]), "no edge is broken"
    assert all(f"{s} -{'abc'[label]}-> {d}" in listed for (s, label), d in edges.items())
    assert all(len(line) <= 80 for line in lines[:at])
    assert lines[at] == f"start at {start}"
    assert lines[at + 1:] == [f"  {'abc'[label]}: {node}" for label, node in zip(hops, answers)]
    logits = batch.targets * 20 - 10
    logits[1, batch.mask[1].nonzero()[0, 0]] = -10  # no answer at the first hop
    answered = task.describe(batch, 1, logits).split("\n")[at + 1:]
    assert answered[0].endswith("(answered ?)") and answered[1].endswith(f"(answered {answers[1]})")
