"""`make cluster`: the scale-out deployment (primary + streaming replica, S3, several web nodes,
HAProxy) on one machine with real processes; see orchestrator.py."""
