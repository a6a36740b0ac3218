"""Domain logic with no Flask import: usable from routes, jobs, the CLI and tests alike."""
