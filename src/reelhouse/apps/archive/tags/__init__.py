"""Tags: a catalog of normalized names, attached to assets."""
