"""The Owncast directory ("YP") client."""
