"""Loaders for formats beyond PDF, Markdown and text: Word, PowerPoint and web pages.

Each returns a document's parts and metadata as `documents.load_file` expects, or raises `LoadError`."""
