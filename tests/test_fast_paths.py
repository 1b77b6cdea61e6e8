"""The cached GCN propagation and the fast negative sampler give what PyG's
own code gives."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch_geometric.nn import GCNConv
from torch_geometric.utils import erdos_renyi_graph

from pyg_vgae import GAE, GCNEncoder
from pyg_vgae.allocator import HUGE_PAGES_ENV, use_huge_pages
from pyg_vgae.sampling import sample_negatives
from pyg_vgae.sparse import CachedGCNConv, _adjacency_cache, clear_caches


def pair(**kwargs):
    torch.manual_seed(0)
    reference = GCNConv(20, 8, **kwargs)
    cached = CachedGCNConv(20, 8, **kwargs)
    cached.load_state_dict(reference.state_dict())
    return reference, cached


def sparse_x(rows=30, cols=20, density=0.05):
    return (torch.rand(rows, cols) < density).float() * torch.rand(rows, cols)


@pytest.mark.parametrize("x_kind", ["dense", "sparse"])
@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_cached_conv_equals_pyg_gcnconv(x_kind, directed, weighted):
    clear_caches()
    x = torch.randn(30, 20) if x_kind == "dense" else sparse_x()
    edge_index = erdos_renyi_graph(30, 0.15, directed=directed)
    weight = torch.rand(edge_index.size(1)) if weighted else None
    reference, cached = pair()
    expected, got = reference(x, edge_index, weight), cached(x, edge_index,
                                                             weight)
    assert torch.allclose(expected, got, atol=1e-5)
    expected.square().sum().backward()
    got.square().sum().backward()
    for a, b in zip(reference.parameters(), cached.parameters()):
        assert torch.allclose(a.grad, b.grad, atol=1e-4)


def test_spmm_keeps_the_graph_where_one_is_recorded():
    from pyg_vgae.sparse import spmm
    torch.manual_seed(0)
    matrix = sparse_x(12, 9, density=0.3).to_sparse_csr()
    dense = torch.randn(9, 4, requires_grad=True)
    out = spmm(matrix, dense)
    assert out.requires_grad
    out.square().sum().backward()
    reference = dense.detach().clone().requires_grad_()
    (matrix.to_dense() @ reference).square().sum().backward()
    assert torch.allclose(dense.grad, reference.grad, atol=1e-5)
    with torch.no_grad():
        assert torch.allclose(spmm(matrix, dense), out, atol=0)


def _dense_improved(x, edge_index, weight, conv):
    """D^-1/2 (A + 2I) D^-1/2 X W + b, written out densely."""
    adjacency = torch.zeros(x.size(0), x.size(0), dtype=x.dtype)
    adjacency[edge_index[1], edge_index[0]] = 1.0 if weight is None \
        else weight.to(x.dtype)
    adjacency += 2 * torch.eye(x.size(0), dtype=x.dtype)
    scale = adjacency.sum(1).rsqrt()
    normalised = scale[:, None] * adjacency * scale[None, :]
    return normalised @ conv.lin(x) + conv.bias


@pytest.mark.parametrize("weighted", [False, True])
def test_cached_conv_float64_and_improved(weighted):
    # improved: self-loops of weight 2, with or without edge weights (PyG
    # 2.8's gcn_norm fills them only into given weights; GCNConv(improved=
    # True) on an unweighted graph equals GCNConv() there).
    clear_caches()
    x = torch.randn(30, 20, dtype=torch.float64)
    edge_index = erdos_renyi_graph(30, 0.2)
    weight = torch.rand(edge_index.size(1)) + 0.5 if weighted else None
    _, cached = pair(improved=True)
    _, fallback = pair(improved=True, cached=True)  # PyG's path
    _, plain = pair()
    cached, fallback, plain = cached.double(), fallback.double(), \
        plain.double()
    want = _dense_improved(x, edge_index, weight, cached)
    assert torch.allclose(cached(x, edge_index, weight), want)
    assert torch.allclose(fallback(x, edge_index, weight), want)
    assert not torch.allclose(plain(x, edge_index, weight), want)


def test_cache_never_serves_a_stale_graph():
    clear_caches()
    x = torch.randn(30, 20)
    reference, cached = pair()
    edge_index = erdos_renyi_graph(30, 0.2)
    cached(x, edge_index)
    edge_index[1, :5] = (edge_index[1, :5] + 1) % 30  # in place
    assert torch.allclose(cached(x, edge_index), reference(x, edge_index),
                          atol=1e-5)
    other = erdos_renyi_graph(30, 0.2)
    assert torch.allclose(cached(x, other), reference(x, other), atol=1e-5)
    # A graph that is gone does not keep its matrix alive.
    entries = len(_adjacency_cache.entries)
    del other, edge_index
    cached(x, erdos_renyi_graph(30, 0.2))
    assert len(_adjacency_cache.entries) <= entries


@pytest.mark.parametrize("width, propagated", [(10, True), (9, False)])
def test_narrow_dense_features_are_propagated_once_and_never_stale(
        width, propagated):
    from pyg_vgae import sparse
    clear_caches()
    x, edge_index = torch.randn(30, 20), erdos_renyi_graph(30, 0.2)
    torch.manual_seed(0)
    reference = GCNConv(20, width)
    cached = CachedGCNConv(20, width)
    cached.load_state_dict(reference.state_dict())
    for call in range(2):
        reference.zero_grad(), cached.zero_grad()
        expected, got = reference(x, edge_index), cached(x, edge_index)
        assert torch.allclose(expected, got, atol=1e-5)
        expected.square().sum().backward()
        got.square().sum().backward()
        for a, b in zip(reference.parameters(), cached.parameters()):
            assert torch.allclose(a.grad, b.grad, atol=1e-4)
    # 20 features: propagated for 10 outputs (A X costs no more than the
    # two products of width 10 it spares), not for 9.
    assert len(sparse._propagated_cache.entries) == int(propagated)
    x[:3] += 1.0  # in place: its propagation must not be served again
    assert torch.allclose(cached(x, edge_index), reference(x, edge_index),
                          atol=1e-5)


def test_cached_conv_falls_back_for_gradients_through_edge_weights():
    x = torch.randn(30, 20)
    edge_index = erdos_renyi_graph(30, 0.2)
    weight = torch.rand(edge_index.size(1), requires_grad=True)
    reference, cached = pair()
    cached(x, edge_index, weight).sum().backward()
    assert weight.grad is not None and torch.isfinite(weight.grad).all()


def test_encoder_keeps_pyg_state_dict_keys():
    keys = set(GCNEncoder(20, 16, 8).state_dict())
    assert keys == {"gnn.convs.0.bias", "gnn.convs.0.lin.weight",
                    "gnn.convs.1.bias", "gnn.convs.1.lin.weight"}


def test_negatives_avoid_known_edges_both_ways_and_self_loops():
    pos = erdos_renyi_graph(50, 0.05, directed=True)
    held_out = erdos_renyi_graph(50, 0.02, directed=True)
    neg = sample_negatives((pos, held_out), 50, 5000)
    assert neg.shape == (2, 5000)
    assert (neg[0] != neg[1]).all()
    known = set(map(tuple, torch.cat([pos, held_out], 1).t().tolist()))
    for i, j in neg.t().tolist():
        assert (i, j) not in known and (j, i) not in known


def test_negatives_are_uniform_over_free_pairs():
    torch.manual_seed(0)
    neg = sample_negatives((torch.tensor([[0], [1]]), ), 4, 40_000)
    counts = torch.bincount(neg[0] * 4 + neg[1], minlength=16).float()
    free = counts[counts > 0]
    assert len(free) == 10  # 12 ordered pairs off the diagonal, minus 2
    assert (free / free.mean() - 1).abs().max() < 0.1


def test_negatives_fixed_by_seed_and_dense_fallback():
    pos = erdos_renyi_graph(40, 0.1)
    torch.manual_seed(3)
    first = sample_negatives((pos, ), 40, 100)
    torch.manual_seed(3)
    assert torch.equal(first, sample_negatives((pos, ), 40, 100))
    dense = erdos_renyi_graph(10, 0.8)
    neg = sample_negatives((dense, ), 10, 5)
    known = set(map(tuple, dense.t().tolist()))
    assert all((i, j) not in known for i, j in neg.t().tolist())


def test_bytes_pack_eight_to_a_byte_with_bit_k_from_byte_k():
    from pyg_vgae.sampling import _pack_bytes
    torch.manual_seed(0)
    flags = (torch.rand(8 * 1000) < 0.5).to(torch.uint8)
    flags[:16] = torch.tensor([1] * 8 + [0, 1, 0, 0, 0, 0, 0, 1],
                              dtype=torch.uint8)
    weights = 1 << torch.arange(8)
    expected = (flags.view(-1, 8).long() * weights).sum(1)
    packed = _pack_bytes(flags.clone())
    assert packed.dtype == torch.uint8
    assert packed[:2].tolist() == [255, 2 + 128]
    assert torch.equal(packed.long(), expected)


@pytest.mark.parametrize("bytes_, bits", [(1 << 24, 1 << 27), (0, 1 << 27),
                                          (0, 1 << 12), (0, 1 << 3)])
def test_exact_and_hashed_bitmap_lookups_are_exact(bytes_, bits,
                                                   monkeypatch):
    # 300 nodes: 90,000 pairs: a byte each, a bit each, or a bitmap smaller
    # than that, a hashed filter (with 8 bits nearly every key passes it
    # to the search).
    from pyg_vgae import sampling
    monkeypatch.setattr(sampling, "BYTEMAP_PAIRS", bytes_)
    monkeypatch.setattr(sampling, "BITMAP_PAIRS", bits)
    sampling._key_cache.clear()
    pos = erdos_renyi_graph(300, 0.03, directed=True)
    pairs = torch.randint(0, 300, (2, 20_000))
    known = set(map(tuple, pos.t().tolist()))
    expected = torch.tensor([(i, j) in known or (j, i) in known
                             for i, j in pairs.t().tolist()])
    assert torch.equal(sampling.known_mask(pairs, (pos, ), 300), expected)
    neg = sampling.sample_negatives((pos, ), 300, 5000)
    assert not sampling.known_mask(neg, (pos, ), 300).any()
    bipartite = sampling.bipartite_negatives(pos[:, pos[1] < 7], (300, 7),
                                             500)
    assert int(bipartite[1].max()) < 7
    assert not sampling.known_mask(bipartite, (pos, ), 300,
                                   directed=True).any()


def test_sampler_refuses_a_single_node():
    with pytest.raises(ValueError, match="1 node"):
        sample_negatives((torch.tensor([[0], [0]]), ), 1, 3)


def test_gae_recon_loss_uses_the_fast_sampler():
    model = GAE(GCNEncoder(20, 16, 8))
    x, edge_index = torch.randn(30, 20), erdos_renyi_graph(30, 0.2)
    z = model.encode(x, edge_index)
    loss = model.recon_loss(z, edge_index)
    assert torch.isfinite(loss)
    neg = model.sample_negatives(edge_index, 30)
    assert neg.size(1) == edge_index.size(1)


@pytest.mark.parametrize("hetero", [False, True])
def test_training_steps_check_edge_ids_once_not_every_step(hetero,
                                                           monkeypatch):
    # Each full check reads ids back to the host (a GPU synchronisation):
    # after the first step, every tensor a step checks must be known valid.
    from pyg_vgae import checks
    from pyg_vgae.train import TrainConfig, Trainer
    if hetero:
        from helpers import rated_graph
        from pyg_vgae.train.hetero import HeteroTrainer
        (train, _, _), model = rated_graph()
        trainer = HeteroTrainer(model, TrainConfig(progress=False))
        pos = trainer.positives(train)
    else:
        train = erdos_renyi_graph(80, 0.1)
        from torch_geometric.data import Data
        train = Data(x=torch.randn(80, 8), edge_index=train)
        trainer = Trainer(GAE(GCNEncoder(8, 16, 8)),
                          TrainConfig(progress=False))
        pos = train.edge_index
    trainer.train_step(train, pos)
    full_checks = []
    original = checks._already_checked
    monkeypatch.setattr(checks, "_already_checked", lambda *args: (
        full_checks.append(not original(*args)) or not full_checks[-1]))
    for _ in range(3):
        trainer.train_step(train, pos)
    assert full_checks and not any(full_checks)



@pytest.mark.parametrize("same", [True, False])
def test_blocked_pair_dot_matches_the_plain_product_and_gradient(
        same, monkeypatch):
    from pyg_vgae import pairs
    monkeypatch.setattr(pairs, "BLOCK", 7)  # several blocks and a remainder
    torch.manual_seed(0)
    source = torch.randn(12, 5, dtype=torch.float64, requires_grad=True)
    target = source if same else torch.randn(12, 5, dtype=torch.float64,
                                             requires_grad=True)
    edge_index = torch.randint(0, 12, (2, 40))
    blocked = pairs.pair_dot(source, target, edge_index)
    plain = (source[edge_index[0]] * target[edge_index[1]]).sum(1)
    assert torch.allclose(blocked, plain)
    assert torch.autograd.gradcheck(
        lambda s, t: pairs._BlockedPairDot.apply(s, s if same else t,
                                                 edge_index),
        (source, target))
    weights = torch.randn(40, dtype=torch.float64)
    grads = torch.autograd.grad((blocked * weights).sum(),
                                [source] if same else [source, target])
    expected = torch.autograd.grad((plain * weights).sum(),
                                   [source] if same else [source, target])
    for got, want in zip(grads, expected):
        assert torch.allclose(got, want)



@pytest.mark.parametrize("num_nodes", [30, 40_000, 70_000, "scatter"])
@pytest.mark.parametrize("roles", ["same", "both", "source only"])
def test_small_pair_dot_matches_autograd(roles, num_nodes, monkeypatch):
    # The pairs grouped after a radix sort of the node ids (one pass of 16
    # bits for 30 and 40,000 nodes, two for 70,000), or scattered row by
    # row where no radix sort applies.
    from pyg_vgae import pairs
    if num_nodes == "scatter":
        monkeypatch.setattr(pairs, "radix_order", lambda keys, bound: None)
        num_nodes = 30
    torch.manual_seed(3)
    source = torch.randn(num_nodes, 16, requires_grad=True)
    target = source if roles == "same" else torch.randn(
        num_nodes, 16, requires_grad=roles == "both")
    edge_index = torch.randint(0, num_nodes, (2, 200))
    edge_index[:, :20] = edge_index[:, :1]  # one pair met many times
    weights = torch.randn(200)
    inputs = [source] if roles != "both" else [source, target]
    ours = pairs.pair_dot(source, target, edge_index)
    plain = pairs._plain_pair_dot(source, target, edge_index)
    assert ours.grad_fn.name().startswith("_PairDot")
    # summed by a matrix-vector product: equal up to rounding
    assert torch.allclose(ours, plain, rtol=1e-5, atol=1e-5)
    for got, want in zip(
            torch.autograd.grad((ours * weights).sum(), inputs),
            torch.autograd.grad((plain * weights).sum(), inputs)):
        assert torch.allclose(got, want, atol=1e-5)
    small = edge_index % 30
    double = (source[:30].double().detach().requires_grad_(),
              target[:30].double().detach().requires_grad_())
    assert torch.autograd.gradcheck(
        lambda s, t: pairs._PairDot.apply(s, s if roles == "same" else t,
                                          small), double)
    assert torch.autograd.gradgradcheck(
        lambda s, t: pairs._PairDot.apply(s, s if roles == "same" else t,
                                          small), double)


@pytest.mark.parametrize("bound, dtype", [
    (bound, dtype) for bound in (30, 32_768, 40_000, 65_536, 70_000, 1 << 31)
    for dtype in (torch.int64, torch.int32)] + [(1 << 32, torch.int64)])
def test_radix_order_is_the_stable_sort(bound, dtype):
    from pyg_vgae.sparse import radix_order
    keys = torch.randint(0, min(bound, 1 << 62), (5000, ), dtype=dtype)
    keys[:50] = keys[50:100]  # ties, which keep their order
    keys[-1] = bound - 1
    assert torch.equal(radix_order(keys, bound), keys.argsort(stable=True))
    assert radix_order(keys, (1 << 32) + 1) is None  # keys beyond 32 bits


def test_csr_builder_sums_duplicates_in_any_order():
    from pyg_vgae.sparse import _csr
    torch.manual_seed(0)
    row, col = torch.randint(0, 6, (2, 50))  # unsorted, with duplicates
    value = torch.randn(50, dtype=torch.float64)
    expected = torch.sparse_coo_tensor(torch.stack([row, col]), value,
                                       (6, 7)).to_dense()
    assert torch.allclose(_csr(row, col, value, (6, 7)).to_dense(), expected)
    order = (row * 7 + col).argsort()  # already sorted: no sort is taken
    assert torch.allclose(
        _csr(row[order], col[order], value[order], (6, 7)).to_dense(),
        expected)



def test_csr_transpose_keeps_rows_in_column_order():
    from pyg_vgae.sparse import _csr, _transpose
    torch.manual_seed(1)
    row, col = torch.randint(0, 7, (2, 60))  # a rectangular, directed matrix
    value = torch.randn(60, dtype=torch.float64)
    matrix = _csr(row, col, value, (7, 5 + 4))
    transposed = _transpose(matrix)
    assert transposed.shape == (9, 7)
    assert torch.allclose(transposed.to_dense(), matrix.to_dense().t())
    crow, cols = transposed.crow_indices(), transposed.col_indices()
    for start, end in zip(crow[:-1].tolist(), crow[1:].tolist()):
        assert cols[start:end].tolist() == sorted(cols[start:end].tolist())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("index_dtype", [torch.int32, torch.int64])
def test_spmm_equals_the_csr_product(dtype, index_dtype):
    from pyg_vgae.sparse import _csr, spmm
    torch.manual_seed(2)
    row, col = torch.randint(0, 9, (2, 40))
    row[row == 4] = 5  # row 4 is empty
    value = torch.randn(40, dtype=dtype)
    matrix = _csr(row, col, value, (9, 11))
    matrix = torch.sparse_csr_tensor(matrix.crow_indices().to(index_dtype),
                                     matrix.col_indices().to(index_dtype),
                                     matrix.values(), matrix.shape)
    dense = torch.randn(11, 3, dtype=dtype)
    out = spmm(matrix, dense)
    assert out.dtype == dtype and out.shape == (9, 3)
    assert torch.allclose(out, matrix.to_dense() @ dense)
    assert torch.equal(out[4], torch.zeros(3, dtype=dtype))
    # a non-contiguous right-hand side, and no entries at all
    assert torch.allclose(spmm(matrix, dense.t().contiguous().t()), out)
    empty = torch.sparse_csr_tensor(torch.zeros(4, dtype=index_dtype),
                                    torch.zeros(0, dtype=index_dtype),
                                    torch.zeros(0, dtype=dtype), (3, 11))
    assert torch.equal(spmm(empty, dense), torch.zeros(3, 3, dtype=dtype))
    with pytest.raises(RuntimeError):  # shapes that do not match: ``@``'s
        spmm(matrix, torch.randn(12, 3, dtype=dtype))

_HUGE_PAGES = """
import sys
from pathlib import Path
from pyg_vgae.allocator import use_huge_pages

def huge_mib():
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
        if line.startswith("AnonHugePages:"):
            return int(line.split()[1]) / 1024

applied = use_huge_pages() if sys.argv[1] == "on" else False
import torch
before = huge_mib()
block = torch.ones(64 * 2 ** 20)  # 256 MiB, its pages touched
print(applied, huge_mib() - before)
"""


def _thp_mode() -> str:
    path = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    text = path.read_text() if path.exists() else ""
    return text[text.find("[") + 1:text.find("]")] if "[" in text else ""


@pytest.mark.skipif(_thp_mode() != "madvise",
                    reason="needs a Linux kernel whose transparent huge "
                    "pages are given on request (madvise)")
def test_the_command_puts_large_tensors_on_huge_pages():
    huge = {}
    env = {k: v for k, v in os.environ.items() if k != HUGE_PAGES_ENV}
    for mode in ("off", "on"):
        out = subprocess.run([sys.executable, "-c", _HUGE_PAGES, mode],
                             capture_output=True, text=True, check=True,
                             env=env)
        applied, huge[mode] = out.stdout.split()
        assert applied == str(mode == "on")
    # Off, the kernel gives 4 KiB pages; on, most of the block is on
    # 2 MiB pages (fewer faults per step at 1M nodes).
    assert float(huge["off"]) < 16 and float(huge["on"]) > 128


def test_huge_pages_respect_the_users_setting(monkeypatch):
    monkeypatch.setenv(HUGE_PAGES_ENV, "0")
    assert not use_huge_pages()
    assert os.environ[HUGE_PAGES_ENV] == "0"


def test_many_negatives_come_in_source_order_and_stay_uniform(monkeypatch):
    from pyg_vgae import pairs
    monkeypatch.setattr(pairs, "BLOCK", 64)
    torch.manual_seed(1)
    pos = erdos_renyi_graph(30, 0.1)
    neg = sample_negatives((pos, ), 30, 20_000)
    # One draw, sorted, then the rejected pairs (here 10% of all pairs are
    # known) redrawn in their own slots, each breaking the order there.
    ascending = (neg[0, 1:] >= neg[0, :-1]).float().mean()
    assert 0.8 < ascending < 1
    known = set(map(tuple, pos.t().tolist()))
    assert not any((i, j) in known or (j, i) in known
                   for i, j in neg.t().tolist())
    per_source = torch.bincount(neg[0], minlength=30).float()
    # erdos_renyi_graph holds both directions: i's free partners are the
    # 29 others minus its neighbours.
    free = 29 - torch.bincount(pos[0], minlength=30).float()
    expected = 20_000 * free / free.sum()  # uniform over free pairs
    assert ((per_source - expected).abs() / expected).max() < 0.15


def test_whole_graph_sorts_many_positives_and_their_weights(monkeypatch):
    from torch_geometric.data import Data

    from pyg_vgae import pairs
    from pyg_vgae.train.batches import WholeGraph
    monkeypatch.setattr(pairs, "BLOCK", 8)
    torch.manual_seed(0)
    keys = torch.randperm(400)[:40]  # distinct pairs, in random order
    pos = torch.stack([keys // 20, keys % 20])
    weight = torch.rand(40)
    data = Data(x=torch.randn(20, 3), edge_index=pos, edge_weight=weight,
                num_nodes=20)
    source = WholeGraph(data, pos, weighted=True)
    assert (source.pos[0, 1:] >= source.pos[0, :-1]).all()
    by_pair = {tuple(p): w for p, w in zip(pos.t().tolist(),
                                           weight.tolist())}
    assert [by_pair[tuple(p)] for p in source.pos.t().tolist()] == \
        source.weights[1].tolist()


def test_pair_dot_backward_groups_reused_pairs_as_csr(monkeypatch):
    from pyg_vgae import pairs
    from pyg_vgae.cache import MISSING
    monkeypatch.setattr(pairs, "BLOCK", 5)
    torch.manual_seed(0)
    z = torch.randn(9, 4, dtype=torch.float64, requires_grad=True)
    edge_index = torch.randint(0, 9, (2, 30))  # unsorted, reused each step
    weights = torch.randn(30, dtype=torch.float64)
    expected = torch.autograd.grad(
        ((z[edge_index[0]] * z[edge_index[1]]).sum(1) * weights).sum(), z)[0]
    grads = [torch.autograd.grad(
        (pairs.pair_dot(z, z, edge_index) * weights).sum(), z)[0]
        for _ in range(3)]
    for grad in grads:  # scatter on first sight, CSR from the second
        assert torch.allclose(grad, expected)
    grouping = pairs._groupings.peek((edge_index, ), (0, 9, 9))
    assert grouping is not MISSING and grouping[2] is not None
    # Already sorted pairs are grouped at once, without a sort.
    ordered = edge_index[:, edge_index[0].argsort()]
    torch.autograd.grad(pairs.pair_dot(z, z, ordered).sum(), z)
    assert pairs._groupings.peek((ordered, ), (0, 9, 9))[2] is None


@pytest.mark.parametrize("layout", ["dense", "coo", "csr"])
def test_sparse_features_hold_the_matrix_and_its_transpose(layout):
    from pyg_vgae import sparse
    clear_caches()
    torch.manual_seed(0)
    x = sparse_x(60, 40, 0.08)
    x[7], x[:, 11] = 0, 0  # an empty row and an empty column
    given = {"dense": x, "coo": x.to_sparse_coo(),
             "csr": x.to_sparse_csr()}[layout]
    matrices = sparse.sparse_features(given)
    assert matrices.matrix.layout == torch.sparse_csr
    assert torch.equal(matrices.matrix.to_dense(), x)
    assert matrices.matrix_t.layout == torch.sparse_csr
    assert torch.equal(matrices.matrix_t.to_dense(), x.t())
    # Each row's entries in column order, as CSR products expect.
    for matrix in (matrices.matrix, matrices.matrix_t):
        crow, col = matrix.crow_indices(), matrix.col_indices()
        for row in range(matrix.size(0)):
            cols = col[crow[row]:crow[row + 1]]
            assert bool((cols[1:] > cols[:-1]).all())
    assert sparse.sparse_features(torch.rand(60, 40) + 0.1) is None


def test_input_dropout_of_sparse_features_acts_on_stored_values():
    from pyg_vgae import GNNEncoder, sparse
    clear_caches()
    torch.manual_seed(0)
    x, edge_index = sparse_x(200, 50), erdos_renyi_graph(200, 0.05)
    assert sparse.dropout_stored(torch.rand(200, 50), 0.5) is None  # dense
    dropped = sparse.dropout_stored(x, 0.5)
    dense = dropped.to_dense()
    stored = x != 0
    assert not dense[~stored].any()  # zeros stay zeros
    kept = dense[stored] != 0
    assert torch.allclose(dense[stored][kept], 2 * x[stored][kept])
    assert 0.4 < kept.float().mean() < 0.6
    # The product matrices cached with it are those of its dense form.
    matrices = sparse.sparse_features(dropped)
    assert torch.allclose(matrices.matrix.to_dense(), dense)
    assert torch.allclose(matrices.matrix_t.to_dense(), dense.t())
    # Through an encoder: the same output and weight gradients as a
    # reference conv fed the dense dropped features.
    encoder = GNNEncoder(50, 8, 8, num_layers=1, input_dropout=0.5)
    reference = GCNConv(50, 8)
    reference.load_state_dict(encoder.gnn.convs[0].state_dict())
    torch.manual_seed(3)
    out = encoder(x, edge_index)
    torch.manual_seed(3)
    expected = reference(sparse.dropout_stored(x, 0.5).to_dense(),
                         edge_index)
    assert torch.allclose(out, expected, atol=1e-5)
    out.square().sum().backward()
    expected.square().sum().backward()
    for a, b in zip(encoder.gnn.convs[0].parameters(),
                    reference.parameters()):
        assert torch.allclose(a.grad, b.grad, atol=1e-4)


def test_dense_features_after_dropout_are_multiplied_dense(monkeypatch):
    # Half of the entries non-zero, 90% of them dropped: mostly zeros, but
    # a new tensor every step, which is multiplied dense, never converted.
    from pyg_vgae import GNNEncoder, sparse
    clear_caches()
    torch.manual_seed(0)
    x, edge_index = sparse_x(200, 50, 0.5), erdos_renyi_graph(200, 0.05)
    encoder = GNNEncoder(50, 8, 8, num_layers=1, input_dropout=0.9)
    reference = GCNConv(50, 8)
    reference.load_state_dict(encoder.gnn.convs[0].state_dict())
    converted = []
    for name in ("_to_csr", "_dense_to_csr"):
        monkeypatch.setattr(sparse, name, lambda m: converted.append(m))
    torch.manual_seed(3)
    out = encoder(x, edge_index)
    assert converted == []
    torch.manual_seed(3)
    assert torch.allclose(
        out, reference(sparse.dropout_dense(x, 0.9), edge_index), atol=1e-5)


@pytest.mark.parametrize("density", [0.3, 0.9])
def test_dense_dropout_keeps_each_entry_with_its_probability(density):
    from pyg_vgae import sparse
    clear_caches()
    torch.manual_seed(0)
    x = sparse_x(400, 250, density) + 0  # no cached entries from before
    stored = x != 0
    kept_share = []
    for _ in range(20):
        dropped = sparse.dropout_dense(x, 0.8)
        assert not dropped[~stored].any()  # zeros stay zeros
        kept = dropped[stored] != 0
        assert torch.allclose(dropped[stored][kept], 5 * x[stored][kept])
        kept_share.append(kept.float().mean())
    # 20 draws of ~30k-90k entries: the share kept is 0.2 within 0.005
    assert abs(torch.stack(kept_share).mean() - 0.2) < 0.005
    assert torch.stack(kept_share).std() > 0  # a fresh draw every call
    transposed = x.t()  # not contiguous: entries found in its own layout
    dropped = sparse.dropout_dense(transposed, 0.8)
    assert bool(((dropped == 0) | (dropped == 5 * transposed)).all())
    assert not dropped[transposed == 0].any() and dropped.any()
    # Changed in place, x gets a fresh cache: its new non-zeros drop too.
    x.fill_(1.0)
    dropped = sparse.dropout_dense(x, 0.5)
    assert 0.45 < (dropped == 2).float().mean() < 0.55
    assert bool(((dropped == 0) | (dropped == 2)).all())


def test_dense_dropout_leaves_what_it_cannot_take_to_torch():
    from pyg_vgae import sparse
    x = torch.rand(30, 20, requires_grad=True)
    torch.manual_seed(1)
    dropped = sparse.dropout_dense(x, 0.5)
    torch.manual_seed(1)
    assert torch.equal(dropped, F.dropout(x, 0.5))
    dropped.sum().backward()  # differentiable: F.dropout's own path
    assert x.grad is not None
    assert not sparse.dropout_dense(torch.rand(5, 5), 1.0).any()


def test_evaluation_propagates_no_hidden_layer():
    from pyg_vgae import GCNEncoder, sparse
    clear_caches()
    x, edge_index = torch.randn(40, 8), erdos_renyi_graph(40, 0.2)
    encoder = GCNEncoder(8, 16, 16)
    with torch.no_grad():
        encoder(x, edge_index)
    assert not sparse._propagated_cache.entries  # nothing made in eval
    encoder(x, edge_index)  # training: the input layer's A X
    with torch.no_grad():
        expected = encoder(x, edge_index)
    cached, = [value for _, value in
                   sparse._propagated_cache.entries.values()]
    assert cached.shape == (40, 8)
    clear_caches()
    with torch.no_grad():
        assert torch.allclose(encoder(x, edge_index), expected, atol=1e-5)


def _adam_runs(direct, **options):
    """Parameters after five steps of Adam, through ``adam_step`` or
    ``optimizer.step()``, on the same gradients."""
    from pyg_vgae.train.adam import adam_step, zero_grad
    torch.manual_seed(0)
    params = [torch.nn.Parameter(torch.randn(7, 3)),
              torch.nn.Parameter(torch.randn(3)),
              torch.nn.Parameter(torch.randn(2, 2))]  # never gets a grad
    untouched = params[2].detach().clone()
    optimizer = torch.optim.Adam(params, lr=0.05, **options)
    for step in range(5):
        (zero_grad if direct else type(optimizer).zero_grad)(optimizer)
        loss = (params[0] ** 2).sum() * (step + 1) + params[1].exp().sum()
        loss.backward()
        (adam_step if direct else torch.optim.Adam.step)(optimizer)
    assert torch.equal(params[2].detach(), untouched)
    return [p.detach().clone() for p in params], optimizer


@pytest.mark.parametrize("options", [
    {"fused": True}, {"foreach": True}, {"foreach": False},
    {"fused": True, "amsgrad": True, "weight_decay": 0.1},
    {"fused": True, "weight_decay": 0.1, "decoupled_weight_decay": True}])
def test_direct_adam_step_is_adams_own_update(options):
    direct, direct_opt = _adam_runs(True, **options)
    plain, plain_opt = _adam_runs(False, **options)
    for ours, theirs in zip(direct, plain):
        assert torch.equal(ours, theirs)
    steps = [float(s["step"]) for s in direct_opt.state.values()]
    assert steps == [5.0, 5.0]
    assert direct_opt.state_dict()["state"].keys() == \
        plain_opt.state_dict()["state"].keys()


def test_direct_adam_step_leaves_hooked_and_other_optimizers_to_torch():
    from pyg_vgae.train.adam import _direct_calls, adam_step
    param = torch.nn.Parameter(torch.ones(3))
    param.grad = torch.ones(3)
    sgd = torch.optim.SGD([param], lr=0.5)
    assert _direct_calls(sgd) is None
    adam_step(sgd)  # through SGD.step
    assert torch.equal(param.detach(), torch.full((3, ), 0.5))
    adam = torch.optim.Adam([param], lr=0.1)
    assert _direct_calls(adam) is None  # no state before the first step
    adam.step()
    assert _direct_calls(adam) is not None
    calls = []
    handle = adam.register_step_post_hook(lambda *args: calls.append(1))
    assert _direct_calls(adam) is None
    adam_step(adam)
    assert calls == [1]  # the hook ran: optimizer.step() took the step
    handle.remove()
    assert _direct_calls(adam) is not None


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_joined_recon_loss_equals_the_two_means(dtype):
    from pyg_vgae import losses
    torch.manual_seed(0)
    logits = (torch.randn(50, dtype=dtype) * 8).requires_grad_()
    joined = losses.joined_recon_loss(logits, 20)
    joined.backward(torch.tensor(3.0, dtype=dtype))
    grad, logits.grad = logits.grad, None
    plain = losses.sampled_recon_loss(logits[:20], logits[20:])
    (3 * plain).backward()
    tolerance = 1e-6 if dtype == torch.float32 else 1e-12
    assert joined.item() == pytest.approx(plain.item(), rel=tolerance)
    assert torch.allclose(grad, logits.grad, atol=tolerance, rtol=0)


def test_joined_recon_loss_refuses_a_split_without_both_kinds():
    from pyg_vgae import losses
    with pytest.raises(ValueError, match="one positive and one negative"):
        losses.joined_recon_loss(torch.randn(5), 5)
    with pytest.raises(ValueError, match="1-D"):
        losses.joined_recon_loss(torch.randn(5, 2), 2)
