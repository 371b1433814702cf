"""The benchmark contract and the tables: records and errors of a query, the tabular benchmark in memory, its HDF5 file, importers of published results, the embedded tables and `nasbench.load`."""
