"""Small builders shared by several test modules."""
import torch
import torch_geometric.transforms as T
from torch_geometric.nn import SAGEConv, to_hetero

from pyg_vgae.data.synthetic import synthetic_hetero_graph
from pyg_vgae.hetero import HeteroGAE

RATES = ("user", "rates", "item")
REV_RATES = ("item", "rev_rates", "user")


class SageEncoder(torch.nn.Module):
    """One lazy SAGE layer, for ``to_hetero``."""

    def __init__(self, channels: int = 8):
        super().__init__()
        self.conv = SAGEConv((-1, -1), channels)

    def forward(self, x, edge_index):
        return self.conv(x, edge_index)


def rated_graph():
    """A small user-rates-item graph, its link splits (train, val, test)
    on ``RATES``, and a hetero GAE over one SAGE layer."""
    data = synthetic_hetero_graph(num_users=60, num_items=40)
    splits = T.RandomLinkSplit(edge_types=[RATES],
                               rev_edge_types=[REV_RATES])(data)
    model = HeteroGAE(to_hetero(SageEncoder(), data.metadata()), [RATES])
    return splits, model
