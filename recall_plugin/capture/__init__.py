"""Capture: the hook hot path (standard library only; see ``hook``)."""
