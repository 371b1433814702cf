from ._nasbench201_tables import Problem


__all__ = ["Problem"]
