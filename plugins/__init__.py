"""The signature plugin system (pluggy): hook specifications, markers and the manager."""
