def register() -> None:
    """Filled in as polls grows: topics, thread host, role permissions."""
