"""The bureau's enterprise list: reading, validation, credit codes."""
