"""Scale-out: run independent solves (sweeps, region cities) serially or as Dask tasks."""
