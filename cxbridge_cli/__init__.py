"""``cxbridge``: the operator's command — set a deployment up, see how it is doing, redrive dead letters.

It runs on an operator's machine (or CI), never in Lambda: it is a package of its own beside the layer,
which it uses for the connection documents and logins the worker uses.
"""
