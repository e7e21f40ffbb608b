"""Developer tools kept beside the project (not installed): corpus PDF builder, the fake Slack Web API."""
