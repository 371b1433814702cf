"""Zero-cost proxies of NAS-Bench-201 cells: training-free scores of the project's own network at
initialisation (:mod:`.proxies`), the stand-in input batch they read (:mod:`.batch`), the
resumable per-class computation (:mod:`.compute`) and the ``proxies/<name>`` group of a table
file (:mod:`.store`)."""
from .proxies import PROXIES, ProxySpec, compute_proxies

__all__ = ["PROXIES", "ProxySpec", "compute_proxies"]
