"""The violation catalogue and its discretion tiers (裁量基准), managed by the city office."""
