"""The shipped knowledge corpus (package data; `cluster-assistant ingest` reads it by default)."""
