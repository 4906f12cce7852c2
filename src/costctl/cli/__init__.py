"""argv -> request -> command -> renderer -> stdout. Thin Typer modules, one per command."""
