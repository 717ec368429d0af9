"""Runtime: the plugin's own environment (``bootstrap``) and detached processes (``spawn``).

Just above the ground floor: standard library only, cheap enough for the hook hot path.
"""
