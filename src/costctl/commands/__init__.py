"""Commands: a request in, a `Report` out. They never print."""
