"""Text adapters: chat markdown rendering and sanitising, the language filter."""
