"""The version of the mobile contract (``mobile_contract/``): the one place it is set.

It travels in every WebSocket feed message (``contract_version``), in every FCM data
payload, in the ``X-LFR-Contract-Version`` header of the feed's handshake and in
``GET /health``. ``MAJOR.MINOR``: a minor step only adds (fields, message types) and an app
ignores what it does not know; a major step breaks, and ``mobile_contract/CHANGELOG.md``
says what an app must change.
"""

from __future__ import annotations

CONTRACT_VERSION = "2.0"
#: The response header of the feed's WebSocket handshake that carries the version.
CONTRACT_HEADER = "X-LFR-Contract-Version"
