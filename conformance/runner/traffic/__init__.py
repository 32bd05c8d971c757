"""Traffic steps (FORMAT §8) and weight checks (§9)."""
