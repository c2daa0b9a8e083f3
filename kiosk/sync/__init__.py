"""The syncer: tells the state system (Metrc) and the POS what the kiosk recorded.

- ``outbox``: claiming due messages (per-package order, SKIP LOCKED), backoff, outcomes,
  manager retry/resolve, target health and the figures for the sync screen
- ``delivery``: outbox kinds to Metrc calls, batching, look-up before re-sending
- ``worker``: the ``kiosk sync`` loop (``run``)
- ``metrc``: the Metrc v2 client; ``contract``: Metrc's Postman collection as a matcher
- ``pulls``: incoming manifests, packages and lab results (``pull_now``)
- ``readback``: received transfers compared with Metrc afterwards; ``reconcile``: POS sales
  against Metrc receipts
- ``pos``: the POS adapter interface, the signed webhook adapter, the CSV sales import
- ``sandbox`` (+ ``sandbox_state``, ``sandbox_rules``, ``sandbox_data``): the training Metrc
"""
