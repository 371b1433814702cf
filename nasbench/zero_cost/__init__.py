"""Zero-cost proxies of NAS-Bench-201 cells: training-free scores of the project's own network at
initialisation (`nasbench.zero_cost.proxies`), the stand-in input batch they read (`nasbench.zero_cost.batch`), the
resumable per-class computation (`nasbench.zero_cost.compute`) and the `proxies/<name>` group of a table
file (`nasbench.zero_cost.store`)."""
from .proxies import PROXIES, ProxySpec, compute_proxies

__all__ = ["PROXIES", "ProxySpec", "compute_proxies"]
