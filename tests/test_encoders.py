import pytest
import torch
from torch_geometric.nn import GCNConv, GraphConv
from torch_geometric.utils import to_torch_coo_tensor, to_undirected

from pyg_vgae import (GCNEncoder, GNNEncoder, LinearEncoder,
                      VariationalGCNEncoder, VariationalLinearEncoder)

try:
    from torch_sparse import SparseTensor
except ImportError:  # the optional `sparse` extra
    SparseTensor = None

N, F_IN = 8, 5


@pytest.fixture
def graph():
    torch.manual_seed(0)
    src = torch.arange(N)
    edge_index = to_undirected(torch.stack([src, (src + 1) % N]))
    return torch.randn(N, F_IN), edge_index


def test_gcn_encoder_is_the_papers_formula(graph):
    x, edge_index = graph
    enc = GCNEncoder(F_IN, 6, 3, bias=False)
    a = torch.zeros(N, N)
    a[edge_index[0], edge_index[1]] = 1
    a = a + torch.eye(N)
    d = a.sum(1).pow(-0.5)
    a_hat = d[:, None] * a * d[None, :]
    w0 = enc.gnn.convs[0].lin.weight.t()
    w1 = enc.gnn.convs[1].lin.weight.t()
    expected = a_hat @ torch.relu(a_hat @ x @ w0) @ w1
    assert torch.allclose(enc(x, edge_index), expected, atol=1e-5)


def test_variational_gcn_heads_share_the_first_layer(graph):
    x, edge_index = graph
    enc = VariationalGCNEncoder(F_IN, 6, 3)
    mu, logstd = enc(x, edge_index)
    assert mu.shape == logstd.shape == (N, 3)
    hidden = torch.relu(enc.gnn.convs[0](x, edge_index))
    last = enc.gnn.convs[1]
    # Each head equals a separate GCNConv with half of the weights.
    head = GCNConv(6, 3)
    head.lin.weight.data = last.lin.weight[:3].detach().clone()
    head.bias.data = last.bias[:3].detach().clone()
    assert torch.allclose(head(hidden, edge_index), mu, atol=1e-5)


def test_variational_heads_are_initialised_separately():
    enc = VariationalGCNEncoder(100, 32, 16)
    weight = enc.gnn.convs[1].lin.weight
    bound = (6 / (32 + 16))**0.5  # glorot of one 32 -> 16 head
    assert weight.abs().max() <= bound
    assert weight.abs().max() > (6 / (32 + 32))**0.5  # beyond a 32->32 init


def test_linear_encoders_are_one_hop(graph):
    x, edge_index = graph
    assert len(LinearEncoder(F_IN, 3).gnn.convs) == 1
    assert LinearEncoder(F_IN, 3)(x, edge_index).shape == (N, 3)
    mu, logstd = VariationalLinearEncoder(F_IN, 3)(x, edge_index)
    assert mu.shape == logstd.shape == (N, 3)


@pytest.mark.parametrize("conv", ["gcn", "sage", "gat", "gin", GraphConv])
@pytest.mark.parametrize("variational", [False, True])
def test_general_encoder_every_conv(graph, conv, variational):
    x, edge_index = graph
    enc = GNNEncoder(F_IN, 8, 4, conv=conv, num_layers=3, dropout=0.2,
                     norm="layer_norm", act="elu", variational=variational)
    out = enc(x, edge_index)
    outs = out if variational else (out, )
    for tensor in outs:
        assert tensor.shape == (N, 4)
        assert torch.isfinite(tensor).all()
    assert len(enc.gnn.convs) == 3
    sum(t.sum() for t in outs).backward()
    assert all(p.grad is not None for p in enc.parameters()
               if p.requires_grad)


@pytest.mark.parametrize("conv", ["gcn", "sage", "gat", "gin"])
def test_torch_sparse_adjacency_matches_edge_index(graph, conv):
    x, edge_index = graph
    enc = GNNEncoder(F_IN, 8, 4, conv=conv).eval()
    adj_t = to_torch_coo_tensor(edge_index.flip(0), size=(N, N))
    assert torch.allclose(enc(x, edge_index), enc(x, adj_t), atol=1e-5)


@pytest.mark.skipif(SparseTensor is None, reason="needs the sparse extra")
@pytest.mark.parametrize("conv", ["gcn", "sage", "gat", "gin"])
def test_sparse_tensor_adjacency_matches_edge_index(graph, conv):
    x, edge_index = graph
    enc = GNNEncoder(F_IN, 8, 4, conv=conv).eval()
    adj_t = SparseTensor.from_edge_index(edge_index,
                                         sparse_sizes=(N, N)).t()
    assert torch.allclose(enc(x, edge_index), enc(x, adj_t), atol=1e-5)


def test_edge_weight_changes_the_gcn_output(graph):
    x, edge_index = graph
    enc = GCNEncoder(F_IN, 8, 4)
    ones = torch.ones(edge_index.size(1))
    assert torch.allclose(enc(x, edge_index), enc(x, edge_index, ones))
    assert not torch.allclose(enc(x, edge_index),
                              enc(x, edge_index, ones * 0.1))


def test_edge_weight_refused_by_convs_that_ignore_it(graph):
    x, edge_index = graph
    with pytest.raises(ValueError, match="edge weights"):
        GNNEncoder(F_IN, 8, 4, conv="sage")(x, edge_index,
                                            torch.ones(edge_index.size(1)))


@pytest.mark.parametrize("bad, error, message", [
    (lambda x, e: (x[:, :3], e), ValueError, "in_channels=5"),
    (lambda x, e: (x.long(), e), TypeError, "floating point"),
    (lambda x, e: (x[0], e), ValueError, "2-D"),
    (lambda x, e: (x, e.float()), TypeError, "integer node ids"),
    (lambda x, e: (x, e.t()), ValueError, r"\[2, num_edges\]"),
    (lambda x, e: (x, e + N), ValueError, "out of range"),
    (lambda x, e: (x, e - N), ValueError, "negative node id"),
    (lambda x, e: (x.numpy(), e), TypeError, "torch.Tensor"),
])
def test_bad_input_gets_a_clear_error(graph, bad, error, message):
    x, edge_index = bad(*graph)
    with pytest.raises(error, match=message):
        GCNEncoder(F_IN, 8, 4)(x, edge_index)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="unknown conv"):
        GNNEncoder(F_IN, 8, 4, conv="transformer-xl")
    with pytest.raises(ValueError, match="dropout"):
        GNNEncoder(F_IN, 8, 4, dropout=1.0)
    with pytest.raises(ValueError, match="num_layers"):
        GNNEncoder(F_IN, 8, 4, num_layers=0)
    with pytest.raises(TypeError, match="MessagePassing"):
        GNNEncoder(F_IN, 8, 4, conv=torch.nn.Linear)


def test_sparse_adjacency_of_wrong_size_is_refused(graph):
    x, edge_index = graph
    adj_t = to_torch_coo_tensor(edge_index, size=(N + 1, N + 1))
    with pytest.raises(ValueError, match="sparse adjacency has shape"):
        GCNEncoder(F_IN, 8, 4)(x, adj_t)


@pytest.mark.parametrize("sparse_x", [False, True])
def test_linear_skip_adds_x_w_to_the_gnn_output(sparse_x):
    torch.manual_seed(0)
    x = (torch.rand(30, 12) < 0.05).float() if sparse_x \
        else torch.randn(30, 12)
    edge_index = torch.randint(0, 30, (2, 80))
    encoder = GNNEncoder(12, 16, 8, skip=True).eval()
    gnn_only = encoder.gnn(x, edge_index)
    expected = gnn_only + x @ encoder.skip.weight.t()
    assert torch.allclose(encoder(x, edge_index), expected, atol=1e-5)
    lazy = GNNEncoder(-1, 16, 8, skip=True, variational=True)
    mu, logstd = lazy(x, edge_index)
    assert mu.shape == logstd.shape == (30, 8)



def test_out_norm_normalises_mu_and_logstd_of_a_variational_encoder():
    torch.manual_seed(0)
    x = torch.randn(40, 6) * 50 + 10  # badly scaled input
    edge_index = to_undirected(torch.randint(0, 40, (2, 80)), num_nodes=40)
    encoder = GNNEncoder(6, 8, 4, num_layers=1, norm="batch_norm",
                         variational=True, out_norm=True)
    mu, logstd = encoder(x, edge_index)
    stacked = torch.cat([mu, logstd], dim=1)
    # batch norm over all 2 x 4 outputs: zero mean, unit variance each
    assert torch.allclose(stacked.mean(0), torch.zeros(8), atol=1e-5)
    assert torch.allclose(stacked.var(0, unbiased=False), torch.ones(8),
                          atol=1e-3)
    plain = GNNEncoder(6, 8, 4, num_layers=1, norm="batch_norm",
                       variational=True)
    assert plain.out_norm is None
    # out_act's norm can be turned off while its activation stays
    act_only = GNNEncoder(6, 8, 4, num_layers=1, norm="batch_norm",
                          out_act=True, out_norm=False, act="relu")
    assert act_only.out_norm is None
    assert (act_only(x, edge_index) >= 0).all()
    with pytest.raises(ValueError, match="set norm"):
        GNNEncoder(6, 8, 4, num_layers=1, variational=True, out_norm=True)
