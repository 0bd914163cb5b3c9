"""`python -m tokscan` runs the same entry point as the console script."""

# Guarded: `tokscan audit`'s Dask workers are started by multiprocessing's spawn, which
# imports this module again (as `__mp_main__`) in each worker.
if __name__ == "__main__":
    from tokscan.cli.main import main

    raise SystemExit(main())
