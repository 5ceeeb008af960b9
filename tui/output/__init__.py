"""Non-interactive outputs: the ``--once`` report (Rich) and JSON (``Snapshot.to_json``)."""
