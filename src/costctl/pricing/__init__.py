"""Price tables: YAML on disk -> validated, immutable `Catalog`."""
