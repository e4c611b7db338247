"""Pure-Python loyalty engine: point arithmetic, FIFO lots, earning rules and tier reviews.

Nothing here imports frappe; the Frappe layer loads documents, calls these functions and
translates the engine's exceptions into user messages.
"""
