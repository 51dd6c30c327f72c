"""Benchmarks. Run each from the repository root as a module, e.g. `python -m bench.claim_rush`;
`bench/README.md` lists them. `bench.harness` holds what they share."""
