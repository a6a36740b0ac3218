"""A client for Keitaro's Admin API v1, and the jobs that tie the tracker to the hub."""
