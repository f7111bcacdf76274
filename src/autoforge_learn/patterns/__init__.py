"""Pattern detection (spec 4.1) and feedback loops (spec 5.1)."""
