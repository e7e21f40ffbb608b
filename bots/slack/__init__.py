"""The Slack adapter: a thin door onto `Assistant.answer`, the same core the CLI and evals call.

Modules (each imports only those listed before it, plus the core in `cluster_assistant.assistant`):
- `blocks`   Block Kit rendering of an Answer and incoming-text cleaning; pure (core schema only).
- `config`   environment variables, the Web API client, Slack error codes (slack_sdk only).
- `state`    the bot's SQLite state: claimed keys, answered threads, rate window, shares (core database).
- `threads`  which question a thread follow-up continues; pure (blocks, core conversation).
- `handlers` the listeners and the de-duplication middleware (blocks, config, state, threads, core).
- `app`      building the bolt App: configuration, warm-up, registration (config, state, handlers).
- `gate`     the HTTP checks before bolt: path, size, signature, body shape (standard library only).
- `server`   entry points `run_http` (waitress + bolt's WSGI adapter) and `run_socket_mode` (app, gate).
"""
