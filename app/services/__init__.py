"""Use cases over the models: what routes, the CLI and jobs call. No request handling here."""
