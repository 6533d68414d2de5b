"""The PyTorch reference step the benchmarks share (a helper module, not a benchmark).

PyTorch is not a dependency: :func:`load_torch` returns None when it is not
installed, and the benchmarks then print "not installed" in its column.
"""

__all__ = ["load_torch", "sgd_step"]


def load_torch(threads):
    """The ``torch`` module set to ``threads`` CPU threads, or None if it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def sgd_step(torch, net, X, labels, lr):
    """A function running one SGD step of ``net`` on ``(X, labels)`` with cross-entropy."""
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(labels)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(net(Xt), yt).backward()
        opt.step()

    return step
