"""Built-in network signatures, one module per network, each registered as a plugin."""
