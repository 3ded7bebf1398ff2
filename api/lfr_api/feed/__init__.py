"""Alert delivery after persistence: the officers' WebSocket feed, push, and refusals of a feed
handshake."""
