"""Custom actions. One module per feature; the logic lives in `bot/` (Rasa-free, unit-tested)."""
