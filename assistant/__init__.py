"""The core: settings, ingestion, retrieval and answering. It imports no adapter (bots/) and no evals."""
