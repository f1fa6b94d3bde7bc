r"""The associative recall task (NTM paper, section 4.3): read a list of items, then a query item
from the list; answer with the item that followed it. A test of indirection: the query's content
finds its place in memory, and the answer is the next place.

Encoding (a public contract: outside tools rely on it). An item is K = ``item_length`` vectors
of ``bits`` bits (the paper: 3 vectors of 6 bits). Inputs have ``bits + 2`` channels: the bits,
the item delimiter (channel ``bits``) and the query delimiter (channel ``bits + 1``). For n items:

- each item is one step with only the item-delimiter channel set (bits 0), then its K data steps
  (delimiter channels 0): n (K + 1) steps;
- then one step with only the query-delimiter channel set, the K steps of the query item (item q,
  drawn uniformly from items 0 .. n-2, never the last), and a second query-delimiter step;
- then K all-zero input steps, during which the target is item q + 1.

targets are ``(B, T, bits)``, zero everywhere except the last K steps; mask is 1 on exactly those
K steps. T = n (K + 1) + 2 K + 2.

             t=0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15      (n = 2, K = 3, q = 0, T = 16)
    bits      . a a a . b b b . a a  a  .  .  .  .       a: item 0, b: item 1
    item      1 . . . 1 . . . . . .  .  .  .  .  .
    query     . . . . . . . . 1 . .  .  1  .  .  .
    target    . . . . . . . . . . .  .  .  b  b  b
    mask      . . . . . . . . . . .  .  .  1  1  1

Every item other than the query item differs from it in at least one bit (an item drawn equal
to it is drawn again), so the answer is never ambiguous; other items may repeat. Sequences with
different numbers of items share a batch: each is padded with zeros after its own last step
(T = n_max (K + 1) + 2 K + 2) and its mask is 0 on the padding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._checks import check_batch_size, check_int, check_override
from .base import Batch, check_lengths


@dataclass(frozen=True)
class AssociativeRecallTask:
    bits: int = 6  # the paper: 6-bit vectors
    item_length: int = 3  # K, the paper: 3 vectors per item
    min_items: int = 2
    max_items: int = 6  # the paper trains on 2-6 items, tests up to 20

    name = "associative_recall"

    def __post_init__(self):
        check_lengths("AssociativeRecallTask (items)", self.min_items, self.max_items, minimum=2)
        check_int("AssociativeRecallTask", "bits", self.bits)
        check_int("AssociativeRecallTask", "item_length", self.item_length)

    @property
    def input_size(self) -> int:
        return self.bits + 2  # bits, item delimiter, query delimiter

    @property
    def output_size(self) -> int:
        return self.bits

    def sample(self, batch_size: int, generator: torch.Generator, num_items: int | None = None) -> Batch:
        """A batch with numbers of items drawn uniformly from [min_items, max_items], or all
        with ``num_items`` (any integer >= 2) if given."""
        check_batch_size("AssociativeRecallTask", batch_size)
        check_override("AssociativeRecallTask", "num_items", num_items, minimum=2)
        if num_items is None:
            counts = torch.randint(self.min_items, self.max_items + 1, (batch_size,), generator=generator)
        else:
            counts = torch.full((batch_size,), num_items)
        most = int(counts.max())
        K, bits = self.item_length, self.bits
        rows = torch.arange(batch_size)
        # the query item q is uniform over 0 .. n-2
        query = (torch.rand(batch_size, generator=generator) * (counts - 1)).long().clamp(max=counts - 2)
        items = torch.randint(0, 2, (batch_size, most, K, bits), generator=generator).float()
        real = torch.arange(most).unsqueeze(0) < counts.unsqueeze(1)  # (B, n_max)
        others = real & (torch.arange(most).unsqueeze(0) != query.unsqueeze(1))
        while True:  # redraw the items that equal the query item; rare (2^-(K bits) each)
            clash = others & (items == items[rows, query].unsqueeze(1)).flatten(2).all(-1)  # (B, n_max)
            if not clash.any():
                break
            fresh = torch.randint(0, 2, items.shape, generator=generator).float()
            items = torch.where(clash[..., None, None], fresh, items)
        items = items * real[..., None, None]  # zero the padding items

        # the list: per item one delimiter step and K data steps
        listing = torch.zeros(batch_size, most, K + 1, self.input_size)
        listing[:, :, 0, bits] = real.float()
        listing[:, :, 1:, :bits] = items
        listing = listing.reshape(batch_size, most * (K + 1), self.input_size)  # (B, n_max (K+1), C)

        # the query section: delimiter, query item, delimiter, K answer steps
        section = 2 * K + 2
        query_in = torch.zeros(batch_size, section, self.input_size)
        query_in[:, 0, bits + 1] = 1.0
        query_in[:, 1 : K + 1, :bits] = items[rows, query]
        query_in[:, K + 1, bits + 1] = 1.0
        query_target = torch.zeros(batch_size, section, bits)
        query_target[:, K + 2 :] = items[rows, query + 1]

        # place each sequence's query section right after its own list
        steps = most * (K + 1) + section
        offset = torch.arange(steps).unsqueeze(0) - (counts * (K + 1)).unsqueeze(1)  # (B, T)
        inside = ((offset >= 0) & (offset < section)).float()  # (B, T)
        index = offset.clamp(0, section - 1)
        inputs = torch.zeros(batch_size, steps, self.input_size)
        inputs[:, : most * (K + 1)] = listing
        inputs += query_in.gather(1, index.unsqueeze(-1).expand(-1, -1, self.input_size)) * inside.unsqueeze(-1)
        targets = query_target.gather(1, index.unsqueeze(-1).expand(-1, -1, bits)) * inside.unsqueeze(-1)
        mask = inside * (offset >= K + 2).float()
        return Batch(inputs, targets, mask)
