"""Answerers turn a question and retrieved chunks into an `Answer` with `[n]` citations."""
