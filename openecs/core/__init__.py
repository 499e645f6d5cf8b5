"""The cloud-neutral core: model, invariants and domain errors. It knows no HTTP and no vendor's spelling."""
