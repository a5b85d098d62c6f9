"""Settings for Agora, split by mode: base (shared), dev, production and test."""
