r"""Negative sampling for sparse graphs, fast enough to run every step.

PyG's :func:`~torch_geometric.utils.negative_sampling` rebuilds its index of
the known edges on each call; on Cora that is half of a GAE training step.
Here the known edges are hashed to sorted keys :math:`i N + j` once per
edge tensor (cached on its identity, as in :mod:`pyg_vgae.sparse`), and each
call draws uniform pairs :math:`i \ne j`, drops those whose key is known
(one binary search each) and redraws the few that were.

Both directions of every known edge are excluded, so an undirected graph
stored one way round never yields its own edges reversed as negatives: an
undirected pair is keyed with its smaller id first, so both directions share
one key (half the keys to sort: at 1M nodes, 0.5 s against 1.3 s for the
keys of both directions).
"""
from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import negative_sampling

from . import pairs
from .cache import TensorCache

#: Above this share of known pairs, rejection gets slow: fall back to PyG.
MAX_DENSITY = 0.25

#: The known keys are also kept as a packed bitmap of this many bits (16
#: MiB, within this machine's 32 MiB L3 cache), so that most lookups are
#: one gather instead of a binary search: 5k lookups among Cora's 18k keys
#: take 29 us against 316 us with torch's CPU ``searchsorted`` (measured
#: here). Up to this many possible pairs the bitmap is exact; beyond, it is
#: a filter over hashed keys, and a second filter with another hash sees
#: the keys whose bit is set (the known ones and, at 1M nodes and 10M
#: edges, 6% of the others); only those it lets by are searched.
BITMAP_PAIRS = 1 << 27

#: Up to this many possible pairs (16 MiB) the map keeps a byte per pair,
#: unpacked: a lookup is one gather with no bit arithmetic (Cora's 5k
#: lookups: 12 us against 43 us packed).
BYTEMAP_PAIRS = 1 << 24

#: Odd 63-bit multipliers (PCG's and SplitMix64's) that spread keys over
#: the two filters.
_HASHES = (0x5851F42D4C957F2D, 0x3F58476D1CE4E5B9)

_key_cache = TensorCache()


def _pair_keys(source: Tensor, target: Tensor, num_nodes: int,
               directed: bool) -> Tensor:
    """``i * N + j`` of each pair; undirected, of its smaller id first.
    Written in place where it can be: at 1M nodes every temporary is a
    fresh 68 MB whose pages the kernel must fault in."""
    if directed:
        return (source * num_nodes).add_(target)
    return torch.minimum(source, target).mul_(num_nodes).add_(
        torch.maximum(source, target))


def _known_keys(edge_indices: tuple[Tensor, ...], num_nodes: int,
                directed: bool = False) -> Tensor:
    def build() -> Tensor:
        edges = torch.cat(edge_indices, dim=1)
        return torch.unique(_pair_keys(edges[0], edges[1], num_nodes,
                                       directed))  # sorted

    return _key_cache.get(edge_indices, (num_nodes, directed), build)


def _bit_of(keys: Tensor, num_pairs: int, level: int = 0) -> Tensor:
    """Each key's bit: the key itself when every pair has a bit of its own,
    else a hash of it (``level`` picks the hash)."""
    if num_pairs <= BITMAP_PAIRS:
        return keys
    return (keys * _HASHES[level]).bitwise_right_shift_(30).bitwise_and_(
        BITMAP_PAIRS - 1)  # the product wraps: a hash


def _bitmap(known: Tensor, num_pairs: int, level: int = 0) -> Tensor:
    """The bits of the sorted ``known`` keys, packed, or a byte each up to
    :data:`BYTEMAP_PAIRS` (cached with them)."""
    def build() -> Tensor:
        size = (min(num_pairs, BITMAP_PAIRS) + 7) // 8 * 8
        # One byte per bit first (setting a bit twice is harmless there;
        # summing into packed bytes would need the bits made distinct, a
        # sort of every key), then each eight bytes packed into one.
        flags = torch.zeros(size, dtype=torch.uint8, device=known.device)
        flags[_bit_of(known, num_pairs, level)] = 1
        return flags if num_pairs <= BYTEMAP_PAIRS else _pack_bytes(flags)

    return _key_cache.get((known, ), (num_pairs, "bitmap", level), build)


#: Times eight 0/1 bytes read as one little-endian int64 (the byte order
#: of every platform torch ships for), this moves byte
#: k's bit to bit 56 + k, and nothing else there (the other products land
#: on distinct lower bits or overflow away), so the top byte is the eight
#: bits packed.
_PACK = 0x0102040810204080


def _pack_bytes(flags: Tensor) -> Tensor:
    """Bytes of 0 / 1, eight to a byte (bit k from byte k), in place: the
    flags' own memory is the only temporary. At 1M nodes (16 MiB of
    packed bits, 2 threads, two one-thread jobs beside it) 0.24-0.28 s
    against 0.45-0.57 s for a weighted sum, which also held a second
    128 MiB copy of the flags."""
    return flags.view(torch.int64).mul_(_PACK).bitwise_right_shift_(56).to(
        torch.uint8)


def _lookup(known: Tensor, num_pairs: int, keys: Tensor, level: int = 0
            ) -> Tensor:
    """Whether the bit of each of ``keys`` is set in the bitmap of
    ``level``."""
    if num_pairs <= BYTEMAP_PAIRS:
        return _bitmap(known, num_pairs).index_select(0, keys).view(
            torch.bool)
    bits = _bit_of(keys, num_pairs, level)
    # Shifts and index_select, not // 8, % 8 and [ ]: integer division and
    # advanced indexing made this lookup 3-10 times slower on Cora. The
    # conversion to bytes keeps the low bits.
    shift = bits.to(torch.uint8).bitwise_and_(7)
    byte = bits.bitwise_right_shift_(3) if bits is not keys else bits >> 3
    found = _bitmap(known, num_pairs, level).index_select(0, byte)
    return found.bitwise_right_shift_(shift).bitwise_and_(1).view(torch.bool)


def _contains(known: Tensor, num_pairs: int, keys: Tensor) -> Tensor:
    """Which ``keys`` are among the sorted ``known`` keys, out of
    ``num_pairs`` possible ones."""
    if known.numel() == 0:
        return torch.zeros_like(keys, dtype=torch.bool)
    found = _lookup(known, num_pairs, keys)
    if num_pairs > BITMAP_PAIRS:  # filters: search the keys they let by
        maybe = found.nonzero().squeeze(1)
        candidates = keys.index_select(0, maybe)
        second = _lookup(known, num_pairs, candidates, level=1)
        maybe, candidates = maybe[second], candidates[second]
        slot = torch.searchsorted(known, candidates).clamp_(
            max=known.numel() - 1)
        found.zero_().index_fill_(
            0, maybe[known.index_select(0, slot) == candidates], True)
    return found


def known_mask(pairs: Tensor, edge_indices: tuple[Tensor, ...],
               num_nodes: int, directed: bool = False) -> Tensor:
    """Which of ``pairs`` are an edge of ``edge_indices`` in either
    direction (``directed``: in the same direction)."""
    known = _known_keys(edge_indices, num_nodes, directed).to(pairs.device)
    if pairs.size(1) == 0:
        return torch.zeros(0, dtype=torch.bool, device=pairs.device)
    return _contains(known, num_nodes * num_nodes,
                     _pair_keys(pairs[0], pairs[1], num_nodes, directed))


def sample_negatives(edge_indices: tuple[Tensor, ...], num_nodes: int,
                     num_samples: int, directed: bool = False,
                     nodes: Tensor | None = None) -> Tensor:
    """``num_samples`` pairs ``(i, j)``, ``i != j``, in neither direction in
    any of ``edge_indices`` (``directed``: not as ``i -> j``; the reverse
    of an edge is then a valid negative); drawn with the torch random
    generator, both ends among the sorted node ids ``nodes`` where given
    (:func:`linked_nodes`), else among all ``num_nodes``.

    Pairs are drawn with replacement, so a pair may repeat (for sparse
    graphs rarely; PyG draws without). Falls back to PyG's sampler when
    more than a quarter of all pairs are known, which, like PyG, may return
    fewer pairs than asked.
    """
    pool = num_nodes if nodes is None else nodes.numel()
    if pool < 2:
        raise ValueError(f"cannot sample negative pairs among {pool} "
                         f"node(s)")
    device = edge_indices[0].device
    known = _known_keys(edge_indices, num_nodes, directed)
    possible = pool * (pool - 1)
    if known.numel() * (1 if directed else 2) > MAX_DENSITY * possible:
        return _dense_negatives(known, num_nodes, num_samples, directed,
                                nodes)

    def draw(count: int) -> tuple[Tensor, Tensor]:
        source = _uniform_nodes(pool, count, device)
        target = torch.randint(0, pool - 1, (count, ), device=device)
        target.add_(target >= source)  # no self-loops
        if nodes is None:
            return source, target
        # Sorted ids: the draw's order of sources holds (pyg_vgae.pairs).
        return nodes[source], nodes[target]

    return _rejection_sample(
        known, num_samples, draw, num_nodes * num_nodes,
        lambda source, target: _pair_keys(source, target, num_nodes,
                                          directed))


def linked_nodes(edge_index: Tensor, num_nodes: int) -> Tensor | None:
    """The sorted ids of the nodes with an edge in ``edge_index``; ``None``
    when all ``num_nodes`` have one (cached per tensor)."""
    def build() -> Tensor | None:
        nodes = torch.unique(edge_index)
        return None if nodes.numel() == num_nodes else nodes

    return _key_cache.get((edge_index, ), (num_nodes, "linked"), build)


def _dense_negatives(known: Tensor, num_nodes: int, num_samples: int,
                     directed: bool, nodes: Tensor | None) -> Tensor:
    """PyG's sampler, for graphs too dense to draw by rejection; with
    ``nodes``, on the graph among them, renumbered."""
    edges = torch.stack([known // num_nodes, known % num_nodes])
    if not directed:  # as the fast path: a reversed edge is no negative
        edges = torch.cat([edges, edges.flip(0)], dim=1)
    if nodes is None:
        return negative_sampling(edges, num_nodes,
                                 num_neg_samples=num_samples)
    inside = torch.isin(edges, nodes).all(dim=0)
    local = torch.searchsorted(nodes, edges[:, inside])
    return nodes[negative_sampling(local, nodes.numel(),
                                   num_neg_samples=num_samples)]


def _uniform_nodes(num_nodes: int, count: int, device) -> Tensor:
    """``count`` uniform node ids; beyond one decoder block, in sorted order
    (the same multiset, drawn as counts per node), so that the decoder's
    gathers of their rows stream (:mod:`pyg_vgae.pairs`)."""
    if count <= pairs.BLOCK:
        return torch.randint(0, num_nodes, (count, ), device=device)
    counts = torch.bincount(
        torch.randint(0, num_nodes, (count, ), device=device),
        minlength=num_nodes)
    return torch.repeat_interleave(
        torch.arange(num_nodes, device=device), counts, output_size=count)


def _rejection_sample(known: Tensor, num_samples: int, draw,
                      num_pairs: int, key) -> Tensor:
    """``num_samples`` pairs from ``draw(count)`` whose ``key(i, j)`` is not
    in the sorted ``known``; rejected pairs are redrawn."""
    if num_samples > pairs.BLOCK:
        return _redraw_in_place(known, num_samples, draw, num_pairs, key)
    found: list[Tensor] = []
    missing = num_samples
    while missing > 0:
        source, target = draw(int(missing * 1.1) + 16)
        fresh = ~_contains(known, num_pairs, key(source, target))
        # One nonzero, then a gather per row straight into the output
        # (24 us against 62 us with a boolean mask per row at Cora's 5k).
        keep = fresh.nonzero().squeeze(1)[:missing]
        batch = source.new_empty(2, keep.numel())
        torch.index_select(source, 0, keep, out=batch[0])
        torch.index_select(target, 0, keep, out=batch[1])
        found.append(batch)
        missing -= batch.size(1)
    if len(found) == 1:
        return found[0]
    return torch.cat(found, dim=1)


def _redraw_in_place(known: Tensor, num_samples: int, draw, num_pairs: int,
                     key) -> Tensor:
    """Many pairs: every slot redraws until its pair is not known, so each
    ends with a uniform unknown pair, and the few redrawn ones are written
    into their own slots. The kept pairs are never gathered into a new
    tensor (at 1M nodes, 8.5M pairs: one nonzero and two gathers of 68 MB
    each saved), and the draw's source order holds but for those slots."""
    source, target = draw(num_samples)
    slots = _contains(known, num_pairs, key(source, target)).nonzero() \
        .squeeze(1)
    while slots.numel() > 0:
        new_source, new_target = draw(slots.numel())
        source.index_copy_(0, slots, new_source)
        target.index_copy_(0, slots, new_target)
        slots = slots[_contains(known, num_pairs,
                                key(new_source, new_target))]
    return torch.stack([source, target])


def reversed_negatives(edge_index: Tensor, num_nodes: int) -> Tensor:
    """The reverses ``j -> i`` of the edges ``i -> j`` whose reverse is no
    edge: the negatives of the biased-negatives task, which a symmetric
    decoder can only score at chance."""
    flipped = edge_index.flip(0)
    return flipped[:, ~known_mask(flipped, (edge_index, ), num_nodes,
                                  directed=True)]


def directed_negatives(edge_indices: tuple[Tensor, ...], num_nodes: int,
                       num_samples: int, nodes: Tensor | None = None
                       ) -> Tensor:
    """Negatives of a directed graph: half uniform pairs that are no edge in
    their direction (among ``nodes`` where given), half reversed edges
    (without which a decoder never learns which way an edge points; with
    ``nodes``, of the edges between them)."""
    def reversed_edges() -> Tensor:
        flipped = reversed_negatives(torch.cat(edge_indices, dim=1),
                                     num_nodes)
        if nodes is None:
            return flipped
        return flipped[:, torch.isin(flipped, nodes).all(dim=0)]

    tensors = edge_indices if nodes is None else (*edge_indices, nodes)
    flipped = _key_cache.get(tensors, (num_nodes, "reversed"),
                             reversed_edges)
    take = min(num_samples // 2, flipped.size(1))
    if 0 < take < flipped.size(1):  # else all of them
        pick = torch.randint(0, flipped.size(1), (take, ),
                             device=flipped.device)
        flipped = flipped[:, pick]
    uniform = sample_negatives(edge_indices, num_nodes, num_samples - take,
                               directed=True, nodes=nodes)
    return torch.cat([uniform, flipped[:, :take]], dim=1)


def bipartite_negatives(edge_index: Tensor, size: tuple[int, int],
                        num_samples: int) -> Tensor:
    """``num_samples`` pairs ``(i, j)``, ``i`` a source-type and ``j`` a
    target-type node, that are no edge ``i -> j`` of ``edge_index``: the
    negatives of a relation between two node types. Falls back to PyG's
    bipartite sampler above :data:`MAX_DENSITY`."""
    num_src, num_dst = size
    if num_src < 1 or num_dst < 1:
        raise ValueError(f"cannot sample negative pairs between {num_src} "
                         f"source and {num_dst} target node(s)")
    # Keys ``i * num_dst + j`` of the known edges, sorted, once per tensor.
    known = _key_cache.get(
        (edge_index, ), (num_dst, "bipartite"),
        lambda: torch.unique(edge_index[0] * num_dst + edge_index[1]))
    if known.numel() > MAX_DENSITY * num_src * num_dst:
        return negative_sampling(edge_index, (num_src, num_dst),
                                 num_neg_samples=num_samples)
    device = edge_index.device
    return _rejection_sample(known, num_samples, lambda count: (
        torch.randint(0, num_src, (count, ), device=device),
        torch.randint(0, num_dst, (count, ), device=device)),
        num_src * num_dst, lambda source, target: source * num_dst + target)
