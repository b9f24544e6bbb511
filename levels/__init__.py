"""The seven levels of change, plan items, coherence checks, values and HR's alignment surveys."""
