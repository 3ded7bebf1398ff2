"""The app's one input policy (body size, JSON depth, numbers, NUL bytes) and its gates."""
